"""Collections, documents and search on embedded Chroma (hashing embedder: fast)."""

from __future__ import annotations

import pytest

from app.error_table import status_of
from app.workflows.knowledge.chroma_client import connect_chroma
from app.workflows.knowledge.embeddings.hashing import HashingEmbedder
from app.workflows.knowledge.errors import Conflict, EmbedderMismatch, InputError, NotFound
from app.workflows.knowledge.ids import document_id_for
from app.workflows.knowledge.store import KnowledgeStore
from workers.knowledge.engine.chunking import ApproxTokenizer, ChunkingConfig
from workers.knowledge.engine.ingest import ingest_text

SMALL_CHUNKS = ChunkingConfig(chunk_tokens=30, overlap_tokens=5)
ARTICLE = " ".join(
    f"Paragraph {i} explains how solar panels convert sunlight into electricity for homes."
    for i in range(20)
)


@pytest.fixture()
def store(tmp_path) -> KnowledgeStore:
    return KnowledgeStore(connect_chroma(path=tmp_path / "chroma"), embed_batch_size=16)


def ingest(collection, text, **kwargs):
    return ingest_text(collection, text, chunking=SMALL_CHUNKS, tokenizer=ApproxTokenizer(),
                       **kwargs)


def test_new_collection_records_embedder_and_counts(store, hashing_embedder) -> None:
    collection = store.create_collection("acme", "handbook", hashing_embedder,
                                         description="HR handbook")
    ingest(collection, ARTICLE, title="Solar")

    info = store.describe_collection("acme", "handbook")
    assert info.embedder == "hashing:256"
    assert info.dimension == 256
    assert info.description == "HR handbook"
    assert info.document_count == 1
    assert info.chunk_count == collection.info().chunk_count > 1
    assert info.created_at.endswith("+00:00")
    assert set(info.to_dict()) >= {"tenant", "name", "embedder", "dimension", "created_at",
                                   "document_count", "chunk_count"}


def test_creating_twice_is_a_conflict(store, hashing_embedder) -> None:
    store.create_collection("acme", "notes", hashing_embedder)
    with pytest.raises(Conflict):
        store.create_collection("acme", "notes", hashing_embedder)
    assert store.ensure_collection("acme", "notes", hashing_embedder).name == "notes"


def test_reingesting_the_same_document_changes_nothing(store, hashing_embedder) -> None:
    collection = store.create_collection("acme", "kb", hashing_embedder)
    first = ingest(collection, ARTICLE)
    count = collection.info().chunk_count

    again = ingest(collection, ARTICLE)

    assert again.document_id == first.document_id == document_id_for(ARTICLE)
    assert collection.info().chunk_count == count == first.chunks_total
    assert (again.chunks_added, again.chunks_unchanged, again.chunks_removed) == (0, count, 0)
    assert collection.info().document_count == 1


def test_new_version_of_a_document_replaces_its_old_chunks(store, hashing_embedder) -> None:
    collection = store.create_collection("acme", "kb", hashing_embedder)
    ingest(collection, ARTICLE, document_id="policy")
    shorter = ARTICLE[: len(ARTICLE) // 3] + " Wind turbines are added in the new version."

    report = ingest(collection, shorter, document_id="policy")

    assert report.chunks_removed > 0
    assert collection.info().chunk_count == report.chunks_total
    assert collection.get_document("policy").chunk_count == report.chunks_total
    texts = [hit.text for hit in collection.search("wind turbines", k=3)]
    assert any("Wind turbines" in text for text in texts)


def test_deleting_a_document_removes_all_its_chunks(store, hashing_embedder) -> None:
    collection = store.create_collection("acme", "kb", hashing_embedder)
    solar = ingest(collection, ARTICLE, document_id="solar")
    ingest(collection, "Bread rises because yeast produces carbon dioxide.", document_id="bread")

    removed = collection.delete_document("solar")

    assert removed == solar.chunks_total
    assert collection.info().chunk_count == 1
    assert collection.info().document_count == 1
    assert {hit.document_id for hit in collection.search("solar panels", k=5)} == {"bread"}
    with pytest.raises(NotFound):
        collection.delete_document("solar")
    with pytest.raises(NotFound):
        collection.get_document("solar")


def test_tenants_never_see_each_others_collections(store, hashing_embedder) -> None:
    mine = store.create_collection("tenant-a", "shared-name", hashing_embedder)
    theirs = store.create_collection("tenant-b", "shared-name", hashing_embedder)
    store.create_collection("tenant-a", "only-a", hashing_embedder)
    ingest(mine, "Tenant A secret: the launch code is blue falcon.")
    ingest(theirs, "Tenant B keeps a recipe for apple pie.")

    assert [c.name for c in store.list_collections("tenant-a")] == ["only-a", "shared-name"]
    assert [c.name for c in store.list_collections("tenant-b")] == ["shared-name"]
    assert store.list_collections("tenant-c") == []
    with pytest.raises(NotFound):
        store.describe_collection("tenant-b", "only-a")
    with pytest.raises(NotFound):
        store.open_collection("tenant-b", "only-a", hashing_embedder)
    hits = theirs.search("launch code falcon", k=5)
    assert all("Tenant B" in hit.text for hit in hits)
    store.delete_collection("tenant-b", "shared-name")
    assert store.describe_collection("tenant-a", "shared-name").chunk_count == 1


def test_opening_with_another_embedder_is_refused(store, hashing_embedder) -> None:
    store.create_collection("acme", "kb", hashing_embedder)
    with pytest.raises(EmbedderMismatch) as caught:
        store.open_collection("acme", "kb", HashingEmbedder(dimension=128))
    error = caught.value
    assert error.expected == "hashing:256" and error.got == "hashing:128"
    assert "built with embedder 'hashing:256'" in str(error)
    assert error.to_dict()["error"] == "embedder_mismatch"
    assert status_of(error) == 409  # how the API answers it: app.error_table


def test_search_returns_scored_hits_and_filters(store, hashing_embedder) -> None:
    collection = store.create_collection("acme", "kb", hashing_embedder)
    ingest(collection, "Cats purr when they are content.", metadata={"lang": "en"},
           title="Cats")
    ingest(collection, "Katzen schnurren, wenn sie zufrieden sind.", metadata={"lang": "de"})

    hits = collection.search("why do cats purr", k=2)
    assert hits[0].text == "Cats purr when they are content."
    assert hits[0].score > hits[1].score
    assert hits[0].metadata["title"] == "Cats"
    assert hits[0].chunk_id.startswith("chk-")
    assert set(hits[0].to_dict()) == {"chunk_id", "document_id", "score", "text", "metadata"}
    filtered = collection.search("why do cats purr", k=5, where={"lang": "de"})
    assert [hit.metadata["lang"] for hit in filtered] == ["de"]


def test_documents_are_listed_in_pages(store, hashing_embedder) -> None:
    collection = store.create_collection("acme", "kb", hashing_embedder)
    for i in range(5):
        ingest(collection, f"Document number {i} about topic {i}.", document_id=f"d{i}",
               title=f"Doc {i}", metadata={"rank": i})

    pages = [collection.list_documents(limit=2, offset=offset) for offset in (0, 2, 4)]

    assert [len(page.items) for page in pages] == [2, 2, 1]
    assert {page.total for page in pages} == {5}
    listed = [doc for page in pages for doc in page.items]
    assert sorted(doc.document_id for doc in listed) == [f"d{i}" for i in range(5)]
    first = collection.get_document("d3")
    assert (first.title, first.chunk_count, first.metadata) == ("Doc 3", 1, {"rank": 3})
    assert pages[0].to_dict()["total"] == 5


def test_collections_persist_on_disk(tmp_path, hashing_embedder) -> None:
    path = tmp_path / "chroma"
    collection = KnowledgeStore(connect_chroma(path=path)).create_collection(
        "acme", "kb", hashing_embedder)
    ingest(collection, "Persistent facts survive a restart.")

    reopened = KnowledgeStore(connect_chroma(path=path)).open_collection(
        "acme", "kb", hashing_embedder)
    assert reopened.search("facts restart", k=1)[0].text.startswith("Persistent facts")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s, e: s.create_collection("bad tenant!", "kb", e), "tenant"),
        (lambda s, e: s.create_collection("acme", "", e), "collection"),
        (lambda s, e: s.create_collection("acme", "x" * 200, e), "collection"),
        (lambda s, e: s.list_collections("../etc"), "tenant"),
    ],
)
def test_bad_names_are_input_errors(store, hashing_embedder, call, field) -> None:
    with pytest.raises(InputError) as caught:
        call(store, hashing_embedder)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.search("", k=3), "query"),
        (lambda c: c.search("ok", k=0), "k"),
        (lambda c: c.search("ok", k=1000), "k"),
        (lambda c: c.search("ok", where={"$bogus": 1}), "where"),
        (lambda c: c.search("ok", where="lang=en"), "where"),
        (lambda c: c.list_documents(limit=0), "limit"),
        (lambda c: c.list_documents(offset=-1), "offset"),
        (lambda c: c.delete_document("bad id with spaces"), "document_id"),
        (lambda c: ingest(c, "   "), "text"),
        (lambda c: ingest(c, "fine", metadata={"doc_id": "x"}), "metadata.doc_id"),
        (lambda c: ingest(c, "fine", metadata={"tags": ["a", "b"]}), "metadata.tags"),
        (lambda c: ingest(c, "fine", document_id="has space"), "document_id"),
    ],
)
def test_bad_requests_name_the_field(store, hashing_embedder, call, field) -> None:
    collection = store.create_collection("acme", "kb", hashing_embedder)
    ingest(collection, "Some content so that queries have something to match.")
    with pytest.raises(InputError) as caught:
        call(collection)
    assert caught.value.field == field
    assert caught.value.to_dict()["field"] == field


def test_missing_collection_is_not_found(store, hashing_embedder) -> None:
    with pytest.raises(NotFound):
        store.open_collection("acme", "nope", hashing_embedder)
    with pytest.raises(NotFound):
        store.delete_collection("acme", "nope")


def test_connect_needs_a_path_or_url() -> None:
    with pytest.raises(InputError):
        connect_chroma()
    with pytest.raises(InputError) as caught:
        connect_chroma(url="ftp://example")
    assert caught.value.field == "chroma.url"

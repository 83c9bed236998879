"""The same store code against a Chroma server (``HttpClient``) instead of embedded.

Uses the test session's Chroma server (``chroma_url`` fixture); tenants are unique per run,
so whatever else lives on that server is never seen.
"""

from __future__ import annotations

import uuid

import pytest

from app.workflows.knowledge.chroma_client import connect_chroma
from app.workflows.knowledge.errors import Conflict
from app.workflows.knowledge.store import KnowledgeStore
from workers.knowledge.engine.chunking import ApproxTokenizer, ChunkingConfig
from workers.knowledge.engine.ingest import ingest_text


def test_server_backed_store_behaves_like_embedded(chroma_url, chroma_token,
                                                   hashing_embedder) -> None:
    store = KnowledgeStore(connect_chroma(url=chroma_url, token=chroma_token))
    tenant_a, tenant_b = (f"t{uuid.uuid4().hex[:12]}" for _ in range(2))
    collection = store.create_collection(tenant_a, "docs", hashing_embedder)
    store.create_collection(tenant_b, "docs", hashing_embedder)
    config, tokenizer = ChunkingConfig(30, 5), ApproxTokenizer()
    text = "Servers keep vectors for many workers. " * 20

    first = ingest_text(collection, text, chunking=config, tokenizer=tokenizer)
    again = ingest_text(collection, text, chunking=config, tokenizer=tokenizer)

    assert again.chunks_added == 0
    assert collection.info().chunk_count == first.chunks_total
    assert [c.name for c in store.list_collections(tenant_a)] == ["docs"]
    assert store.describe_collection(tenant_b, "docs").chunk_count == 0
    assert collection.search("vectors for workers", k=1)[0].document_id == first.document_id
    with pytest.raises(Conflict):
        store.create_collection(tenant_a, "docs", hashing_embedder)
    assert collection.delete_document(first.document_id) == first.chunks_total
    for tenant in (tenant_a, tenant_b):
        store.delete_collection(tenant, "docs")
        assert store.list_collections(tenant) == []


def test_chunk_vectors_pages_through_every_chunk_the_filter_selects(
        chroma_url, chroma_token, hashing_embedder) -> None:
    """Topic discovery reads the stored vectors back instead of embedding again: all of
    them across pages, and only those of the documents a filter selects."""
    store = KnowledgeStore(connect_chroma(url=chroma_url, token=chroma_token))
    tenant = f"t{uuid.uuid4().hex[:12]}"
    collection = store.create_collection(tenant, "docs", hashing_embedder)
    config, tokenizer = ChunkingConfig(30, 5), ApproxTokenizer()
    long = ingest_text(collection, "Tides rise and fall twice a day. " * 30, chunking=config,
                       tokenizer=tokenizer, document_id="tides", metadata={"desk": "sea"})
    ingest_text(collection, "Volcanoes erupt.", document_id="volcano",
                metadata={"desk": "land"})
    rows = list(collection.chunk_vectors(page=2))
    assert len(rows) == long.chunks_total + 1 and long.chunks_total > 2
    assert sorted(index for doc, index, _, _ in rows if doc == "tides") == \
        list(range(long.chunks_total))
    assert all(vector.shape == (hashing_embedder.dimension,) for *_, vector in rows)
    texts = {doc: text for doc, _, text, _ in rows}
    assert texts["volcano"] == "Volcanoes erupt."
    assert {doc for doc, *_ in collection.chunk_vectors({"desk": "land"}, page=2)} == \
        {"volcano"}
    store.delete_collection(tenant, "docs")

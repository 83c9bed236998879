"""The knowledge-base API on a real Chroma server and real workers: collections, ingestion,
search, documents, tenants, roles and every kind of bad input."""

import io
import uuid

import pytest

from tests.integration.kb_helpers import (
    COLLECTIONS,
    collection,
    create_collection,
    file_doc,
    ingest,
    search,
    submit_documents,
    text_doc,
)
from tests.unit.knowledge.pdf_maker import make_expanding_pdf, make_pdf

VOLCANO = ("Volcanoes erupt when magma rises through cracks in the crust. Lava flows, ash "
           "clouds and volcanic gas follow the eruption.")
BAKERY = "# Sourdough\n\nSourdough bread needs a **starter** of flour and water, fed daily."
CHESS = ("<html><head><title>Openings</title></head><body><p>The Sicilian defence is a chess "
         "opening in which black answers e4 with c5.</p><script>var x;</script></body></html>")
TIDES = "Tidal power stations turn the rise and fall of the sea into electricity."


def four_documents() -> list[dict]:
    return [text_doc(VOLCANO, title="Volcanoes", metadata={"topic": "geology"}),
            text_doc(BAKERY, filename="sourdough.md", metadata={"topic": "food"}),
            text_doc(CHESS, media_type="text/html", metadata={"topic": "games"}),
            file_doc(make_pdf([[TIDES]], title="Tides"), "tides.pdf",
                     metadata={"topic": "energy"})]


def test_collection_lifecycle(analyst):
    name = create_collection(analyst)
    info = collection(analyst, name)
    assert (info["embedder"], info["dimension"]) == ("hashing:256", 256)
    assert (info["document_count"], info["chunk_count"]) == (0, 0)
    assert name in [c["name"] for c in analyst.get(COLLECTIONS).get_json()["items"]]

    again = analyst.post(COLLECTIONS, json={"name": name})
    assert again.status_code == 409 and "already exists" in again.get_json()["message"]
    bad = analyst.post(COLLECTIONS, json={"name": "-bad name", "embedder": "nope"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]["json"]) == {"name", "embedder"}

    assert analyst.delete(f"{COLLECTIONS}/{name}").status_code == 204
    missing = analyst.get(f"{COLLECTIONS}/{name}")
    assert missing.status_code == 404 and missing.get_json()["code"] == 404


def test_ingest_then_search_finds_the_right_document(analyst, worker):
    name = create_collection(analyst)
    job, result = ingest(analyst, name, four_documents())

    assert job["workflow"] == "ingest" and job["progress"]["total"] == 5
    assert result["totals"]["documents"] == result["totals"]["ingested"] == 4
    assert [d["status"] for d in result["documents"]] == ["ingested"] * 4
    assert result["collection"]["document_count"] == 4
    assert result["collection"]["chunk_count"] == result["totals"]["chunks_total"]
    assert "content" not in str(analyst.get(f"/api/v1/jobs/{job['id']}").get_json()["params"])

    by_index = {d["index"]: d for d in result["documents"]}
    for query, index in (("how does magma reach the crust", 0), ("flour and water starter", 1),
                         ("which chess opening answers e4", 2), ("electricity from the sea", 3)):
        top = search(analyst, name, query, k=2)[0]
        assert top["document_id"] == by_index[index]["document_id"], (query, top)
        assert set(top) == {"chunk_id", "document_id", "score", "text", "metadata"}
        assert 0 < top["score"] <= 1
    html_hit = search(analyst, name, "Sicilian defence", k=1)[0]
    assert "var x" not in html_hit["text"] and html_hit["metadata"]["title"] == "Openings"
    filtered = search(analyst, name, "magma", k=4, where={"topic": "food"})
    assert {h["document_id"] for h in filtered} == {by_index[1]["document_id"]}


def test_documents_are_listed_page_by_page_and_read_one_by_one(analyst, worker):
    name = create_collection(analyst)
    _, result = ingest(analyst, name, four_documents())
    pages = [analyst.get(f"{COLLECTIONS}/{name}/documents?limit=3&offset={offset}").get_json()
             for offset in (0, 3)]
    assert [len(p["items"]) for p in pages] == [3, 1] and pages[0]["total"] == 4
    listed = {d["document_id"]: d for p in pages for d in p["items"]}
    assert set(listed) == {d["document_id"] for d in result["documents"]}
    pdf = result["documents"][3]
    one = analyst.get(f"{COLLECTIONS}/{name}/documents/{pdf['document_id']}").get_json()
    assert (one["title"], one["source"], one["media_type"]) == ("Tides", "tides.pdf",
                                                                "application/pdf")
    assert one["metadata"] == {"topic": "energy"} and one["chunk_count"] == pdf["chunks_total"]


def test_multipart_upload_with_form_fields(analyst, worker):
    name = create_collection(analyst)
    files = {"file": [(io.BytesIO(VOLCANO.encode()), "volcano.txt"),
                      (io.BytesIO(make_pdf([[TIDES]])), "tides.pdf")]}
    response = analyst.post(f"{COLLECTIONS}/{name}/documents", data={
        **files, "source": "field notes", "metadata": '{"team": "science", "year": 2024}'},
        content_type="multipart/form-data")
    assert response.status_code == 202, response.get_json()
    job = analyst.wait(response.get_json()["id"])
    assert job["state"] == "succeeded", job["error"]
    hits = search(analyst, name, "volcanic gas after the eruption", k=1,
                  where={"$and": [{"team": "science"}, {"year": {"$gte": 2020}}]})
    assert hits[0]["metadata"]["source"] == "field notes"
    assert "magma" in hits[0]["text"]


def test_reingesting_the_same_documents_changes_nothing(analyst, worker):
    name = create_collection(analyst)
    _, first = ingest(analyst, name, four_documents())
    before = collection(analyst, name)
    _, second = ingest(analyst, name, four_documents())

    assert second["totals"]["chunks_added"] == 0
    assert second["totals"]["chunks_unchanged"] == first["totals"]["chunks_total"]
    assert [d["document_id"] for d in second["documents"]] == \
        [d["document_id"] for d in first["documents"]]
    after = collection(analyst, name)
    assert (after["chunk_count"], after["document_count"]) == \
        (before["chunk_count"], before["document_count"])


def test_deleting_a_document_removes_all_its_chunks(analyst, worker):
    name = create_collection(analyst)
    long_text = " ".join(f"Volcano note {i}: magma and ash." for i in range(400))
    _, result = ingest(analyst, name, [text_doc(long_text), text_doc(BAKERY)])
    volcano = result["documents"][0]
    assert volcano["chunks_total"] > 3
    before = collection(analyst, name)["chunk_count"]

    path = f"{COLLECTIONS}/{name}/documents/{volcano['document_id']}"
    deleted = analyst.delete(path)
    assert deleted.status_code == 200
    assert deleted.get_json() == {"document_id": volcano["document_id"],
                                  "chunks_removed": volcano["chunks_total"]}
    assert collection(analyst, name)["chunk_count"] == before - volcano["chunks_total"]
    assert all(h["document_id"] != volcano["document_id"]
               for h in search(analyst, name, "magma and ash", k=10))
    assert analyst.delete(path).status_code == 404


def many_batches() -> dict:
    """A document of more than one embedding batch."""
    return text_doc(" ".join(f"word{i % 997} filler text." for i in range(14_000)))


def assert_progress_per_batch(client, job_id: str, result: dict) -> None:
    """The document step's record counts every embedding batch of its document."""
    chunks = result["documents"][0]["chunks_total"]
    assert chunks > 64  # more than one embedding batch (DIA3_EMBED_BATCH_SIZE)
    step = client.get(f"/api/v1/jobs/{job_id}").get_json()["steps"]["doc-0000"]
    assert step["batches_total"] == -(-chunks // 64) and step["batches_done"] == \
        step["batches_total"]


def test_progress_is_recorded_per_embedding_batch(analyst, worker):
    name = create_collection(analyst)
    job, result = ingest(analyst, name, [many_batches()])
    assert_progress_per_batch(analyst, job["id"], result)


def test_progress_is_recorded_per_batch_on_a_retried_job(analyst, worker, monkeypatch):
    """A retried job's steps run under new task ids (``<job>-<step>-a2``); their progress
    must still land on their step. The first attempt's messages never reach the broker, so
    after its cancellation every step runs in the second attempt."""
    from celery import chord

    name = create_collection(analyst)
    with monkeypatch.context() as lost:
        lost.setattr(chord, "apply_async", lambda self, *args, **kwargs: None)
        response = submit_documents(analyst, name, [many_batches()])
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["id"]
    assert analyst.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 200
    retried = analyst.post(f"/api/v1/jobs/{job_id}/retry")
    assert retried.status_code == 202, retried.get_json()
    job = analyst.wait(job_id)
    assert job["state"] == "succeeded", job["error"]
    assert job["attempts"] == 2 and job["tasks"]["doc-0000"] == f"{job_id}-doc-0000-a2"
    result = analyst.get(f"/api/v1/jobs/{job_id}/result").get_json()["result"]
    assert_progress_per_batch(analyst, job_id, result)


def test_other_tenants_see_nothing(make_client, worker):
    owner, stranger = make_client("analyst"), make_client("analyst")
    name = create_collection(owner)
    _, result = ingest(owner, name, [text_doc(VOLCANO)])
    doc = result["documents"][0]["document_id"]
    base = f"{COLLECTIONS}/{name}"

    assert stranger.get(base).status_code == 404
    assert stranger.post(f"{base}/search", json={"query": "magma"}).status_code == 404
    assert submit_documents(stranger, name, [text_doc(BAKERY)]).status_code == 404
    assert stranger.get(f"{base}/documents").status_code == 404
    assert stranger.delete(f"{base}/documents/{doc}").status_code == 404
    assert stranger.delete(base).status_code == 404
    assert name not in [c["name"] for c in stranger.get(COLLECTIONS).get_json()["items"]]
    submitted = stranger.submit("ingest", {"collection": name, "documents": [text_doc("x")]})
    assert submitted.status_code == 422
    assert "collection" in submitted.get_json()["errors"]["json"]["params"]

    create_collection(stranger, name=name)  # the same name is the stranger's own collection
    assert search(stranger, name, "magma") == []
    assert collection(owner, name)["chunk_count"] == result["totals"]["chunks_total"]
    assert [h["document_id"] for h in search(owner, name, "magma", k=1)] == [doc]


def test_viewers_read_and_search_but_do_not_write(make_client, worker):
    from app.extensions import key_store
    analyst = make_client("analyst")
    name = create_collection(analyst)
    viewer = make_client("viewer", tenant=key_store().lookup(analyst.key).tenant)
    ingest(analyst, name, [text_doc(VOLCANO)])

    assert viewer.get(f"{COLLECTIONS}/{name}").status_code == 200
    assert search(viewer, name, "magma")
    for response in (viewer.post(COLLECTIONS, json={"name": "mine"}),
                     submit_documents(viewer, name, [text_doc(BAKERY)]),
                     viewer.delete(f"{COLLECTIONS}/{name}")):
        assert response.status_code == 403, response.get_json()


def test_searching_with_another_embedder_is_a_conflict(analyst):
    name = create_collection(analyst)
    response = analyst.post(f"{COLLECTIONS}/{name}/search",
                            json={"query": "magma", "embedder": "local"})
    assert response.status_code == 409
    body = response.get_json()
    assert body["errors"]["embedder"] == {"expected": "hashing:256", "got": "local"}
    assert "cannot be used with" in body["message"]


def test_bad_documents_fail_alone_with_their_reason(analyst, worker):
    name = create_collection(analyst)
    documents = [
        text_doc(VOLCANO, title="good"),
        file_doc(b"%PDF-1.4\nthis is not really a pdf", "broken.pdf"),
        file_doc(b"", "empty.txt"),
        file_doc(b"\x89PNG\r\n\x1a\n\x00\x00", "picture.png"),
        text_doc("   \n\t  ", filename="blank.txt"),
        text_doc("hello", media_type="image/png"),
    ]
    _, result = ingest(analyst, name, documents)

    outcomes = [(d["status"], d.get("reason")) for d in result["documents"]]
    assert outcomes == [("ingested", None), ("failed", "corrupt"), ("failed", "empty"),
                        ("failed", "unsupported_type"), ("failed", "no_text"),
                        ("failed", "unsupported_type")]
    assert all(d["message"] for d in result["documents"][1:])
    assert result["totals"]["ingested"] == 1 and result["totals"]["failed"] == 5
    assert search(analyst, name, "magma", k=1)[0]["metadata"]["title"] == "good"
    assert collection(analyst, name)["document_count"] == 1


def test_a_pdf_that_expands_past_the_text_limit_fails_alone_naming_the_limit(analyst, worker):
    """A few kilobytes of PDF that extract to 20 MB of text (26,215 chunks and minutes of a
    worker before): a failed outcome naming DIA3_DOCUMENT_MAX_CHARS, the other documents of
    the same upload land."""
    name = create_collection(analyst)
    bomb = make_expanding_pdf()
    job, result = ingest(analyst, name, [file_doc(bomb, "bomb.pdf"), text_doc(TIDES)])
    failed, landed = result["documents"]
    assert failed["status"] == "failed" and failed["reason"] == "too_much_text"
    assert failed["limit"] == "DIA3_DOCUMENT_MAX_CHARS"
    assert "2000000 characters" in failed["message"]
    assert "DIA3_DOCUMENT_MAX_CHARS" in failed["message"]
    assert landed["status"] == "ingested" and landed["chunks_total"] == 1
    assert collection(analyst, name)["document_count"] == 1
    assert collection(analyst, name)["chunk_count"] == 1
    assert job["steps"]["doc-0000"]["runtime"] < 60, job["steps"]["doc-0000"]


@pytest.fixture
def small_upload_limit(settings_env):
    """DIA3_UPLOAD_MAX_BYTES of 1000 in the API process (the check happens at submit)."""
    settings_env(DIA3_UPLOAD_MAX_BYTES="1000", DIA3_DOCUMENTS_PER_JOB_MAX="3")


def test_too_large_or_too_many_documents_are_refused_at_submit(analyst, small_upload_limit):
    name = create_collection(analyst)
    big = submit_documents(analyst, name, [text_doc("ok"), file_doc(b"x" * 1001, "big.txt")])
    assert big.status_code == 422
    error = big.get_json()["errors"]["json"]["documents"]["1"]["content_base64"][0]
    assert "1001 bytes" in error and "limit is 1000" in error

    upload = analyst.post(f"{COLLECTIONS}/{name}/documents", data={
        "file": [(io.BytesIO(b"y" * 1200), "big.txt")]}, content_type="multipart/form-data")
    assert upload.status_code == 413
    assert "1200 bytes" in upload.get_json()["errors"]["files"]["0"][0]
    assert "DIA3_UPLOAD_MAX_BYTES" in upload.get_json()["message"]

    many = submit_documents(analyst, name, [text_doc(f"doc {i}") for i in range(4)])
    assert many.status_code == 422
    assert "at most 3" in many.get_json()["errors"]["json"]["documents"][0]
    assert collection(analyst, name)["document_count"] == 0


@pytest.mark.parametrize("body,field", [
    ({}, "documents"),
    ({"documents": []}, "documents"),
    ({"documents": [{"title": "no content"}]}, "documents"),
    ({"documents": [{"text": "a", "content_base64": "YQ=="}]}, "documents"),
    ({"documents": [{"content_base64": "not base64!"}]}, "documents"),
    ({"documents": [{"text": "a", "metadata": {"doc_id": "x"}}]}, "documents"),
    ({"documents": [{"text": "a", "metadata": {"nested": {"a": 1}}}]}, "documents"),
    ({"documents": [{"text": "a", "document_id": "bad id with spaces"}]}, "documents"),
    ({"documents": [{"text": "a"}], "extra": 1}, "extra"),
])
def test_invalid_ingest_requests_are_field_level_422s(analyst, body, field):
    name = create_collection(analyst)
    response = analyst.post(f"{COLLECTIONS}/{name}/documents", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]


def test_empty_or_unknown_bodies_are_refused(analyst):
    name = create_collection(analyst)
    path = f"{COLLECTIONS}/{name}/documents"
    assert analyst.post(path).status_code == 422
    no_files = analyst.post(path, data={"title": "t"}, content_type="multipart/form-data")
    assert no_files.status_code == 422 and "files" in no_files.get_json()["errors"]
    bad_meta = analyst.post(path, data={"file": [(io.BytesIO(b"x"), "a.txt")],
                                        "metadata": "[1, 2]"}, content_type="multipart/form-data")
    assert bad_meta.get_json()["errors"] == {"form": {"metadata": ["Not a JSON object."]}}
    assert analyst.post(f"{COLLECTIONS}/nope-{uuid.uuid4().hex[:6]}/documents",
                        json={"documents": [text_doc("x")]}).status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"query": ""}, "query"), ({"query": "x", "k": 0}, "k"), ({"query": "x", "k": 101}, "k"),
    ({"query": "x", "where": {"$nonsense": 1}}, "where"), ({"k": 3}, "query"),
])
def test_invalid_searches_are_field_level_422s(analyst, body, field):
    name = create_collection(analyst)
    response = analyst.post(f"{COLLECTIONS}/{name}/search", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]


def test_ingest_is_also_a_workflow_submitted_as_a_job(analyst, worker):
    name = create_collection(analyst)
    response = analyst.submit("ingest", {"collection": name, "documents": [text_doc(VOLCANO)]})
    assert response.status_code == 202, response.get_json()
    assert analyst.wait(response.get_json()["id"])["state"] == "succeeded"
    assert collection(analyst, name)["document_count"] == 1
    workflows = {w["name"]: w for w in analyst.get("/api/v1/workflows").get_json()}
    assert workflows["ingest"]["queue"] == workflows["youtube"]["queue"] == "ingest"
    items = workflows["ingest"]["params_schema"]["properties"]["documents"]["items"]["$ref"]
    assert items.rsplit("/", 1)[1] in workflows["ingest"]["params_schema"]["components"][
        "schemas"]


def test_openapi_describes_the_knowledge_endpoints(analyst):
    spec = analyst.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert {"/api/v1/collections", "/api/v1/collections/{name}",
            "/api/v1/collections/{name}/documents",
            "/api/v1/collections/{name}/documents/{document_id}",
            "/api/v1/collections/{name}/search"} <= set(paths)
    body = paths["/api/v1/collections/{name}/documents"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(body)


def test_an_ingest_step_delivered_again_ingests_again_and_uploads_go_when_the_job_ends(
        analyst, worker):
    """At-least-once delivery: a document step that ran but was killed before it was recorded
    runs again and must still find its document (not report it missing)."""
    from app.extensions import job_store, key_store
    from app.workflows.knowledge import uploads
    from app.workflows.knowledge.ingest import IngestParams
    from workers.knowledge import ingestion

    name = create_collection(analyst)
    tenant = key_store().lookup(analyst.key).tenant
    spec = IngestParams().load({"collection": name, "documents": [text_doc(VOLCANO)]})
    staged = spec["documents"][0]
    first = ingestion.ingest_staged(tenant, name, 0, staged)
    again = ingestion.ingest_staged(tenant, name, 0, staged)  # the redelivery
    assert first["status"] == again["status"] == "ingested"
    assert again["chunks_total"] == again["chunks_unchanged"] == first["chunks_total"] > 0
    assert uploads.fetch(staged["upload"]) is not None  # kept until the job has succeeded

    job, _ = ingest(analyst, name, [text_doc(VOLCANO + " Again.")])
    refs = [d["upload"] for d in job_store().params(job["id"])["documents"]]
    assert refs and all(uploads.fetch(ref) is None for ref in refs)  # gone with success
    ingestion.discard_uploads([staged])

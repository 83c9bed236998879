"""The agent swarm end to end through the API on real workers, on every LLM backend."""

import uuid

import jsonschema
import pytest

from app.workflows.knowledge import service as knowledge
from tests.fakes.http_base import ScriptedResponse
from workers.knowledge.engine.ingest import ingest_text
from workers.strategic_analysis.engine import schemas

DOCUMENTS = {
    "q3-results": "Acme Corp reported record revenue in Q3, driven by strong demand in Europe. "
                  "However, the central bank warned that rising interest rates may slow growth "
                  "and squeeze consumer spending next year.",
    "regulation": "Regulatory scrutiny from the EU is increasing. New data-protection rules "
                  "threaten fines of up to four percent of turnover, and competition from "
                  "Globex Inc. is eroding margins. Analysts say Acme should diversify suppliers.",
    "technology": "Acme's new battery technology cuts production costs by a fifth. The CEO said "
                  "the company will expand into Asia next year, where demand is strong.",
    "incident": "A data breach last year caused significant losses and lawsuits; insurers "
                "raised premiums and customers are wary of new online services.",
}


@pytest.fixture
def tenant_collection(analyst):
    """A collection of the analyst's tenant with the four documents."""
    from app.extensions import key_store
    tenant = key_store().lookup(analyst.key).tenant
    name = "acme" + uuid.uuid4().hex[:6]
    collection = knowledge.store().create_collection(tenant, name, knowledge.embedder())
    for doc_id, text in DOCUMENTS.items():
        ingest_text(collection, text, document_id=doc_id, title=doc_id)
    return name


def run(analyst, params, timeout=180):
    response = analyst.submit("strategic_analysis", params)
    assert response.status_code == 202, response.get_json()
    job = analyst.wait(response.get_json()["id"], timeout=timeout)
    return job


def test_swarm_end_to_end_on_the_local_backend(analyst, worker, tenant_collection):
    job = run(analyst, {"question": "Should Acme expand into Asia?",
                        "collection": tenant_collection, "backend": "local", "k": 6})
    assert job["state"] == "succeeded", job["error"]
    steps = set(analyst.get(f"/api/v1/jobs/{job['id']}").get_json()["steps"])
    assert steps == {"retrieve", "critic", "synthesise"} | {f"perspective-{i}"
                                                              for i in range(4)}
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    report = result["report"]
    jsonschema.validate(report, schemas.REPORT)
    assert report["method"] == "extractive"
    assert [p["perspective"] for p in result["perspectives"]] == [
        "economic", "political/regulatory", "technological", "risk"]
    retrieved = {e["id"] for e in result["evidence"]}
    cited = {c["id"] for c in report["citations"]}
    assert cited and cited <= retrieved
    assert result["citation_problems"] == []
    assert "## SWOT" in result["markdown"] and "(#evidence-1)" in result["markdown"]
    swot_items = [item for quadrant in report["swot"].values() for item in quadrant]
    assert swot_items and len(swot_items) == len(set(swot_items))  # none in two quadrants
    assert not any(r["action"].startswith("Monitor") for r in report["recommendations"])
    assert all(r["evidence_ids"] for r in report["recommendations"])
    assert result["usage"]["calls"] == 6  # four analysts, the critic, the synthesiser
    assert analyst.get(f"/api/v1/jobs/{job['id']}").get_json()["usage"]["calls"] == 6


def test_openai_backend_through_the_official_client(analyst, worker, tenant_collection,
                                                    fake_llms):
    openai = fake_llms["openai"]
    before = openai.request_count("chat")
    job = run(analyst, {"question": "What are Acme's regulatory risks?",
                        "collection": tenant_collection, "backend": "openai",
                        "perspectives": ["regulatory"], "k": 4})
    assert job["state"] == "succeeded", job["error"]
    assert openai.request_count("chat") - before == 3  # analyst, critic, synthesiser
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    assert result["usage"]["by_model"]  # tokens as reported by the server
    assert result["usage"]["input_tokens"] > 0
    # the same job again is answered from the cache: no new upstream request
    again = run(analyst, {"question": "What are Acme's regulatory risks?",
                          "collection": tenant_collection, "backend": "openai",
                          "perspectives": ["regulatory"], "k": 4})
    assert again["state"] == "succeeded"
    assert openai.request_count("chat") - before == 3
    usage = analyst.get(f"/api/v1/jobs/{again['id']}/result").get_json()["result"]["usage"]
    assert usage["cache_hits"] == 3


def test_citations_that_do_not_resolve_are_dropped_and_flagged(analyst, worker,
                                                               tenant_collection, fake_llms):
    ollama = fake_llms["ollama"]
    perspective = {"summary": "Margins are under pressure.", "confidence": 0.6,
                   "findings": [{"claim": "Fines loom.", "evidence_ids": ["made-up-1"]}],
                   "risks": ["fines"], "opportunities": []}
    critique = {"summary": "Thin evidence.", "challenges": [], "gaps": ["no data"],
                "confidence": 0.4}
    report = {"executive_summary": "Risky.", "overall_confidence": 0.5,
              "swot": {"strengths": [], "weaknesses": ["margins"], "opportunities": [],
                       "threats": ["fines"]},
              "key_risks": [{"risk": "EU fines", "likelihood": "high", "impact": 4,
                             "evidence_ids": ["made-up-2"]}],
              "recommendations": [{"action": "Diversify", "priority": "high"}],
              "citations": [{"id": "made-up-3", "quote": "invented"}]}
    ollama.enqueue(ScriptedResponse.json_reply(perspective), ScriptedResponse.json_reply(
        critique), ScriptedResponse.json_reply(report))
    job = run(analyst, {"question": "Unique question about fines " + uuid.uuid4().hex,
                        "collection": tenant_collection, "backend": "ollama",
                        "perspectives": ["regulatory"]})
    assert job["state"] == "succeeded", job["error"]
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    flagged = {(p["id"], p["problem"]) for p in result["citation_problems"]}
    assert flagged == {("made-up-1", "not retrieved"), ("made-up-2", "not retrieved"),
                       ("made-up-3", "not retrieved")}
    assert result["report"]["citations"] == []
    assert result["report"]["key_risks"][0]["evidence_ids"] == []


def test_invalid_structured_output_is_repaired_once_then_fails_clearly(
        analyst, worker, tenant_collection, fake_llms):
    ollama = fake_llms["ollama"]
    ollama.enqueue(ScriptedResponse.reply("this is not JSON"),
                   ScriptedResponse.json_reply({"summary": 3}))
    before = ollama.request_count("chat")
    job = run(analyst, {"question": "Another unique question " + uuid.uuid4().hex,
                        "collection": tenant_collection, "backend": "ollama",
                        "perspectives": ["economic"]})
    assert job["state"] == "failed"
    assert job["error"]["step"] == "perspective-0"
    assert job["error"]["type"] == "LLMOutputError"
    assert ollama.request_count("chat") - before == 2  # the call and one repair
    usage = analyst.get(f"/api/v1/jobs/{job['id']}").get_json()["usage"]
    assert (usage["upstream_requests"], usage["repairs"]) == (2, 1)  # counted though failed
    assert usage["input_tokens"] > 0


def test_unknown_collection_is_a_422_at_submit(analyst):
    response = analyst.submit("strategic_analysis", {"question": "Anything?",
                                                     "collection": "no-such-collection"})
    assert response.status_code == 422
    assert "no-such-collection" in str(response.get_json()["errors"]["json"]["params"])


def test_a_collection_gone_by_retrieval_fails_the_job_with_the_reason(analyst, worker):
    """Submit-time checks passed, then the collection vanished: the retrieve step fails the
    job naming the collection (enqueued directly, so no race with the deletion)."""
    from celery import chain

    from app.extensions import celery as get_celery
    from app.extensions import job_store
    from app.jobs.store import new_job_id
    from app.workflows.registry import Plan
    from app.workflows.strategic_analysis import steps
    from app.workflows.strategic_analysis.workflow import StrategicAnalysisParams
    from tests.conftest import wait_for
    store = job_store()
    job_id = new_job_id()
    plan = Plan(job_id, "req-gone", get_celery(), tenant="gone")
    params = StrategicAnalysisParams().load({"question": "Anything at all?",
                                             "collection": "vanished", "backend": "local"})
    canvas = chain(plan.step(steps.RETRIEVE, "retrieve", tenant="gone",
                             collection="vanished", perspectives=["risk"], k=3))
    store.create(job_id=job_id, workflow="strategic_analysis", tenant="gone", owner="k",
                 params=params, steps_total=plan.steps_total, tasks=plan.tasks)
    canvas.apply_async()
    job = wait_for(lambda: store.get(job_id) if store.get(job_id).finished else None, 60)
    assert job.state == "failed" and job.error["step"] == "retrieve"
    assert "vanished" in job.error["message"]

def test_bad_params_are_422(analyst):
    response = analyst.submit("strategic_analysis", {"question": "x", "collection": "c",
                                                     "backend": "gpt", "k": 0})
    errors = response.get_json()["errors"]["json"]["params"]
    assert response.status_code == 422 and {"question", "backend", "k"} <= set(errors)


def test_sentiment_on_an_llm_backend_has_the_vader_schema(analyst, worker, fake_llms):
    openai = fake_llms["openai"]
    texts = ["I love this phone", "Terrible support, never again", "It arrived on Tuesday"]
    rated = {"items": [
        {"index": 0, "compound": 0.8, "positive": 0.7, "neutral": 0.3, "negative": 0.0},
        {"index": 1, "compound": -0.7, "positive": 0.0, "neutral": 0.2, "negative": 0.8},
        {"index": 2, "compound": 0.0, "positive": 0.0, "neutral": 1.0, "negative": 0.0},
        {"index": 3, "compound": 0.0, "positive": 0.0, "neutral": 1.0, "negative": 0.0}]}
    openai.enqueue(ScriptedResponse.json_reply(rated))
    # a unique id keeps the request out of the response cache
    response = analyst.submit("sentiment", {"texts": texts + [uuid.uuid4().hex],
                                            "backend": "openai"})
    job = analyst.wait(response.get_json()["id"], timeout=120)
    assert job["state"] == "succeeded", job["error"]
    llm = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    vader_job = analyst.wait(analyst.submit("sentiment", {"texts": texts}).get_json()["id"])
    vader = analyst.get(f"/api/v1/jobs/{vader_job['id']}/result").get_json()["result"]
    assert set(llm) - {"usage"} == set(vader)
    assert set(llm["items"][0]) == set(vader["items"][0])
    assert [i["label"] for i in llm["items"]] == ["positive", "negative", "neutral", "neutral"]
    assert llm["analyser"] == "openai" and vader["analyser"] == "vader"
    assert llm["counts"] == {"positive": 1, "neutral": 2, "negative": 1}
    assert llm["usage"]["calls"] == 1


LONG_TEXT = "\n\n".join(
    f"Section {i}. Acme's revenue grew strongly in region {i}, helped by demand for its new "
    f"batteries. However, regulators in region {i} are investigating its data practices, "
    "and fines could follow. The board plans to expand production next year." for i in range(40))


def test_summarize_a_long_text_in_sections_on_the_local_backend(analyst, worker):
    response = analyst.submit("summarize", {"text": LONG_TEXT, "max_points": 4,
                                            "backend": "local"})
    assert response.status_code == 202, response.get_json()
    job = analyst.wait(response.get_json()["id"])
    assert job["state"] == "succeeded", job["error"]
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    assert result["sections"] == job["progress"]["total"] - 1 >= 2
    assert 1 <= len(result["key_points"]) <= 4 and result["summary"]
    assert result["method"] == "extractive"
    assert all(point in LONG_TEXT for point in result["key_points"])  # extracted, not invented


@pytest.mark.parametrize("params,field", [
    ({}, "text"), ({"text": "a", "collection": "c"}, "text"),
    ({"text": "abc", "document_id": "d"}, "document_id"),
    ({"text": "abc", "max_points": 0}, "max_points"),
])
def test_summarize_bad_params(analyst, params, field):
    response = analyst.submit("summarize", params)
    assert response.status_code == 422 and field in response.get_json()["errors"]["json"][
        "params"]


def test_summarize_a_knowledge_base_document(analyst, worker, tenant_collection):
    job = analyst.wait(analyst.submit("summarize", {
        "collection": tenant_collection, "document_id": "regulation", "max_points": 2,
        "backend": "local"}).get_json()["id"])
    assert job["state"] == "succeeded", job["error"]
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    assert result["document_id"] == "regulation" and len(result["key_points"]) <= 2
    assert all(point in DOCUMENTS["regulation"] for point in result["key_points"])
    missing = analyst.wait(analyst.submit("summarize", {
        "collection": tenant_collection, "document_id": "nope"}).get_json()["id"])
    assert missing["state"] == "failed" and "nope" in missing["error"]["message"]
    assert analyst.submit("summarize", {"collection": "absent"}).status_code == 422


def test_document_text_rebuilds_overlapping_chunks_in_order(tenant_collection, analyst):
    from app.extensions import key_store
    from workers.knowledge.engine.chunking import ChunkingConfig, chunk_text
    from workers.knowledge.engine.ingest import tokenizer_for
    tenant = key_store().lookup(analyst.key).tenant
    text = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(120))
    collection = knowledge.open_collection(tenant, tenant_collection)
    config = ChunkingConfig(chunk_tokens=40, overlap_tokens=10)
    assert len(chunk_text(text, tokenizer_for(collection.embedder), config)) > 3
    ingest_text(collection, text, document_id="long", chunking=config)
    rebuilt = knowledge.document_text(tenant, tenant_collection, "long")
    assert rebuilt.split() == text.split()

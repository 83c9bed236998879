"""The agents on a real language model: the bundled SmolLM2-135M-Instruct served by the
embedded llama.cpp server, reached by real workers through the OpenAI backend.

The model writes a few dozen tokens a second on a quiet machine (a few on a busy one), so the
jobs are small: one perspective, three short passages, a few texts.
"""

import json
import uuid

import jsonschema
import pytest

from app.runtime.llm_model import BUNDLED_FILE, model_alias
from app.workflows.knowledge import service as knowledge
from workers.knowledge.engine.ingest import ingest_text
from workers.llm.backends.openai_backend import OpenAIBackend
from workers.llm.messages import LLMRequest, Message
from workers.strategic_analysis.engine import schemas
from workers.strategic_analysis.engine.citations import cited_ids
from workers.summarize.engine import SUMMARY

pytestmark = pytest.mark.integration
MODEL = model_alias(BUNDLED_FILE)
JOB_TIMEOUT = 900  # seconds; the whole strategic job is three calls of the model
DOCUMENTS = {
    "results": "Acme Corp reported record revenue in Q3, driven by strong demand in Europe. "
               "Rising interest rates may slow growth next year.",
    "regulation": "New EU data-protection rules threaten fines of up to four percent of "
                  "turnover.",
    "technology": "Acme's new battery technology cuts production costs by a fifth; the "
                  "company will expand into Asia next year.",
}


def server_counted(usage: dict) -> None:
    """Token counts are the server's own, for the embedded model."""
    assert set(usage["by_model"]) == {f"embedded/{MODEL}"}
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["tokens_estimated"] is False


def test_strategic_analysis_on_the_embedded_model(analyst, worker, llm_server):
    from app.extensions import key_store
    tenant = key_store().lookup(analyst.key).tenant
    name = "acme" + uuid.uuid4().hex[:6]
    collection = knowledge.store().create_collection(tenant, name, knowledge.embedder())
    for doc_id, text in DOCUMENTS.items():
        ingest_text(collection, text, document_id=doc_id, title=doc_id)
    response = analyst.submit("strategic_analysis", {
        "question": "Should Acme expand into Asia?", "collection": name,
        "backend": "embedded", "perspectives": ["economic"], "k": 3})
    assert response.status_code == 202, response.get_json()
    job = analyst.wait(response.get_json()["id"], timeout=JOB_TIMEOUT)
    assert job["state"] == "succeeded", job["error"]

    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    jsonschema.validate(result["report"], schemas.REPORT)
    assert result["report"]["method"] == "llm"
    for analysis in result["perspectives"]:
        jsonschema.validate({k: v for k, v in analysis.items() if k != "perspective"},
                            schemas.PERSPECTIVE)
    jsonschema.validate(result["critique"], schemas.CRITIQUE)
    retrieved = {e["id"] for e in result["evidence"]}
    kept = cited_ids([result["report"], result["perspectives"], result["critique"]])
    assert kept <= retrieved
    assert result["citation_problems"] == []  # the schemas let the model cite nothing else
    assert "## Executive summary" in result["markdown"]
    server_counted(result["usage"])
    # three agent calls, and any a redelivered or retried step made again (all counted);
    # a call made again with the same prompt may be answered by the response cache
    usage = result["usage"]
    assert usage["calls"] >= 3, usage
    assert usage["upstream_requests"] + usage["cache_hits"] >= usage["calls"], usage


def test_summarize_and_llm_sentiment_on_the_embedded_model(analyst, worker, llm_server):
    text = "\n\n".join(DOCUMENTS.values())
    texts = ["I love this phone, it is wonderful", "Terrible support, I want a refund"]
    summary_job = analyst.submit("summarize", {"text": text, "backend": "embedded",
                                               "max_points": 3}).get_json()["id"]
    sentiment_job = analyst.submit("sentiment", {"texts": texts, "backend": "embedded"}
                                   ).get_json()["id"]

    job = analyst.wait(summary_job, timeout=JOB_TIMEOUT)
    assert job["state"] == "succeeded", job["error"]
    summary = analyst.get(f"/api/v1/jobs/{summary_job}/result").get_json()["result"]
    jsonschema.validate({k: summary[k] for k in SUMMARY["properties"] if k in summary},
                        SUMMARY)
    assert summary["method"] == "llm" and 1 <= len(summary["key_points"]) <= 3
    server_counted(summary["usage"])

    job = analyst.wait(sentiment_job, timeout=JOB_TIMEOUT)
    assert job["state"] == "succeeded", job["error"]
    rated = analyst.get(f"/api/v1/jobs/{sentiment_job}/result").get_json()["result"]
    assert rated["analyser"] == "embedded" and len(rated["items"]) == 2
    for item in rated["items"]:
        assert item["label"] in ("positive", "neutral", "negative")
        assert -1 <= item["compound"] <= 1
    server_counted(rated["usage"])


def test_the_openai_backend_finds_how_to_ask_the_llama_cpp_server(llm_server):
    """``auto`` mode against the real server: json_schema is refused, json_object with the
    schema is enforced; the context window is read from the server."""
    backend = OpenAIBackend(api_key=llm_server.token, base_url=f"{llm_server.url}/v1",
                            max_tokens_param="max_tokens", discover_context=True,
                            timeout_s=600, name="embedded")
    assert backend.context_window(MODEL) == llm_server.n_ctx
    schema = {"type": "object", "properties": {"answer": {"type": "string", "enum": [
        "yes", "no"]}}, "required": ["answer"]}
    reply = backend.generate(LLMRequest(model=MODEL, messages=(
        Message("user", "Is water wet? Answer yes or no."),), json_schema=schema,
        max_output_tokens=16))
    assert backend.structured_output == "json_object"
    assert reply.requests == 2 and not reply.tokens_estimated
    jsonschema.validate(json.loads(reply.text), schema)

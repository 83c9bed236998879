"""The local backend: deterministic, offline, and able to fill the LLM backends' schemas."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from tests.unit.agents.conftest import EVIDENCE, FINAL_REPORT_SCHEMA, MESSAGES, PERSPECTIVE_SCHEMA
from workers.llm import (
    LOCAL_MODEL,
    LLMClient,
    LLMPermanentError,
    LocalBackend,
    RequestOptions,
)
from workers.llm.extractive.text import split_sentences

WITH_EVIDENCE = RequestOptions(evidence=EVIDENCE)


@pytest.fixture
def local() -> LLMClient:
    return LLMClient(LocalBackend(), default_model=LOCAL_MODEL)


@pytest.mark.parametrize("schema", [PERSPECTIVE_SCHEMA, FINAL_REPORT_SCHEMA])
def test_fills_the_llm_schemas_validly(local: LLMClient, schema: dict) -> None:
    result = local.structured(MESSAGES, schema, WITH_EVIDENCE)

    Draft202012Validator(schema).validate(result.data)
    assert result.usage.method == "extractive"
    assert result.usage.tokens_estimated and result.usage.cost_usd == 0.0
    assert result.usage.upstream_requests == 0


def test_output_is_deterministic(local: LLMClient) -> None:
    first = local.structured(MESSAGES, FINAL_REPORT_SCHEMA, WITH_EVIDENCE).data
    again = LLMClient(LocalBackend(), default_model=LOCAL_MODEL)
    second = again.structured(MESSAGES, FINAL_REPORT_SCHEMA, WITH_EVIDENCE).data

    assert first == second
    chat_text = local.chat(MESSAGES, WITH_EVIDENCE).text
    assert chat_text == again.chat(MESSAGES, WITH_EVIDENCE).text


def test_output_is_marked_extractive(local: LLMClient) -> None:
    data = local.structured(MESSAGES, PERSPECTIVE_SCHEMA, WITH_EVIDENCE).data
    assert data["method"] == "extractive"

    open_schema = {"type": "object", "properties": {"summary": {"type": "string"}}}
    assert local.structured(MESSAGES, open_schema, WITH_EVIDENCE).data["method"] == "extractive"


def test_closed_schema_without_method_stays_valid(local: LLMClient) -> None:
    data = local.structured(MESSAGES, FINAL_REPORT_SCHEMA, WITH_EVIDENCE).data
    assert "method" not in data  # additionalProperties is false and there is no method field


def test_every_claim_is_a_sentence_of_the_passage_it_cites(local: LLMClient) -> None:
    data = local.structured(MESSAGES, PERSPECTIVE_SCHEMA, WITH_EVIDENCE).data
    texts = {passage["id"]: passage["text"] for passage in EVIDENCE}

    assert data["findings"]
    for finding in data["findings"]:
        assert finding["evidence_ids"] and finding["claim"] in texts[finding["evidence_ids"][0]]


def test_risks_and_opportunities_are_sorted_by_polarity(local: LLMClient) -> None:
    data = local.structured(MESSAGES, PERSPECTIVE_SCHEMA, WITH_EVIDENCE).data

    assert any("data breach" in risk for risk in data["risks"])
    assert any("Regulatory scrutiny" in risk for risk in data["risks"])
    assert any("record revenue" in opportunity for opportunity in data["opportunities"])
    assert not set(data["risks"]) & set(data["opportunities"])


def test_final_report_fields_use_their_evidence(local: LLMClient) -> None:
    data = local.structured(MESSAGES, FINAL_REPORT_SCHEMA, WITH_EVIDENCE).data

    texts = {passage["id"]: passage["text"] for passage in EVIDENCE}
    assert {c["id"] for c in data["citations"]} == {"news-1", "news-2", "filing-3"}
    report_text = json.dumps({k: v for k, v in data.items() if k != "citations"})
    for citation in data["citations"]:
        assert citation["quote"] in texts[citation["id"]]
        assert json.dumps(citation["quote"])[1:-1] in report_text  # quotes what was used
    assert all(1 <= risk["impact"] <= 5 for risk in data["key_risks"])
    assert data["recommendations"][0]["action"].startswith("Analysts say Acme should")
    assert 0.2 <= data["overall_confidence"] <= 0.5
    assert len(data["executive_summary"]) <= 600


def test_confidence_grows_with_coverage_but_stays_modest(local: LLMClient) -> None:
    one = local.structured(MESSAGES, PERSPECTIVE_SCHEMA, RequestOptions(evidence=EVIDENCE[:1])).data
    low_coverage_schema = {
        "type": "object",
        "properties": {
            "risks": {"type": "array", "items": {"type": "string"}, "maxItems": 1},
            "confidence": {"type": "number"},
        },
    }
    partial = local.structured(MESSAGES, low_coverage_schema, WITH_EVIDENCE).data

    assert one["confidence"] == pytest.approx(0.5)  # the one passage was cited
    assert partial["confidence"] == pytest.approx(0.2 + 0.3 / 3)


def test_chat_is_an_extractive_summary_of_the_evidence(local: LLMClient) -> None:
    text = local.chat(MESSAGES, WITH_EVIDENCE).text
    evidence_sentences = {s for p in EVIDENCE for s in split_sentences(p["text"])}

    assert split_sentences(text)
    assert set(split_sentences(text)) <= evidence_sentences


def test_chat_without_evidence_summarises_the_user_message() -> None:
    local = LLMClient(LocalBackend(summary_sentences=2), default_model=LOCAL_MODEL)
    long_text = " ".join(passage["text"] for passage in EVIDENCE)
    text = local.chat([{"role": "user", "content": long_text}]).text

    assert len(split_sentences(text)) == 2
    assert set(split_sentences(text)) <= set(split_sentences(long_text))


def test_no_evidence_still_fills_required_fields(local: LLMClient) -> None:
    schema = dict(PERSPECTIVE_SCHEMA)
    schema["properties"] = dict(
        schema["properties"],
        findings={**schema["properties"]["findings"], "minItems": 1},
    )
    data = local.structured([{"role": "user", "content": ""}], schema).data

    Draft202012Validator(schema).validate(data)
    assert data["confidence"] == 0.0


def test_schema_edge_cases_validate(local: LLMClient) -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 20},
            "sentiment": {"enum": ["positive", "neutral", "negative"]},
            "score": {"type": "integer", "exclusiveMinimum": 0, "maximum": 10},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "entities": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "type": {"type": "string"}},
                },
            },
            "kind": {"const": "perspective"},
            "flag": {"type": "boolean"},
            "items": {"type": "array", "items": {"type": "number"}, "minItems": 2},
            "note": {"type": ["string", "null"], "minLength": 3},
            "threats": {
                "type": "array",
                "items": {"type": "object", "properties": {"likelihood": {"type": "integer"}}},
            },
        },
        "required": ["title", "sentiment", "score", "tags", "entities", "kind", "items"],
    }
    data = local.structured(MESSAGES, schema, WITH_EVIDENCE).data

    Draft202012Validator(schema).validate(data)
    assert {"name": "Acme Corp", "type": "ORG"} in data["entities"]
    assert data["kind"] == "perspective"
    assert data["threats"] and all(1 <= t["likelihood"] <= 5 for t in data["threats"])


def test_invalid_schema_is_a_permanent_error(local: LLMClient) -> None:
    with pytest.raises(LLMPermanentError, match="invalid JSON schema"):
        local.structured(MESSAGES, {"type": "object", "properties": {"x": {"type": "nope"}}})


def test_remote_refs_are_refused_clearly(local: LLMClient) -> None:
    schema = {"type": "object", "properties": {"x": {"$ref": "https://example.com/s.json"}}}
    with pytest.raises(LLMPermanentError, match="cannot fill this schema"):
        local.structured(MESSAGES, schema, WITH_EVIDENCE)

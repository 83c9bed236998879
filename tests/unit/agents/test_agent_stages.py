"""What the strategic-analysis stages do with a model's output between the agents, and what
a job's usage summary shows."""

from __future__ import annotations

import jsonschema

from workers.llm.grammar_schema import grammar_friendly
from workers.llm.usage import UsageRecord, summarise_usage
from workers.strategic_analysis.engine import schemas
from workers.strategic_analysis.engine.citations import checked, split_problems

IDS = ["chk-a", "chk-b"]


def test_a_stage_output_loses_invented_ids_before_the_next_prompt() -> None:
    analysis = {"summary": "s", "findings": [
        {"claim": "real", "evidence_ids": ["chk-a", "made-up"]},
        {"claim": "invented", "evidence_ids": ["also-made-up"]}]}
    out = checked(analysis, set(IDS), "perspectives.2")
    value, problems = split_problems(out)
    assert value["findings"][0]["evidence_ids"] == ["chk-a"]
    assert value["findings"][1]["evidence_ids"] == []
    assert "citation_problems" not in value
    assert [p["path"] for p in problems] == ["perspectives.2.findings.0.evidence_ids",
                                             "perspectives.2.findings.1.evidence_ids"]
    assert {p["id"] for p in problems} == {"made-up", "also-made-up"}


def test_the_model_schemas_allow_only_retrieved_ids_and_accept_a_subset() -> None:
    for base in (schemas.PERSPECTIVE, schemas.CRITIQUE, schemas.REPORT):
        tight = schemas.for_model(base, IDS)
        jsonschema.Draft202012Validator.check_schema(tight)
        assert base != tight and "enum" not in str(base.get("properties", {}).get("summary"))
    report = schemas.for_model(schemas.REPORT, IDS)
    assert report["$defs"]["Risk"]["properties"]["evidence_ids"]["items"]["enum"] == IDS
    assert report["properties"]["citations"]["items"]["properties"]["id"]["enum"] == IDS
    assert report["properties"]["key_risks"]["maxItems"] == schemas.MODEL_MAX_ITEMS
    valid = {"executive_summary": "x", "overall_confidence": 0.5,
             "swot": {k: ["y"] for k in ("strengths", "weaknesses", "opportunities",
                                         "threats")},
             "key_risks": [{"risk": "r", "likelihood": "low", "impact": 2,
                            "evidence_ids": ["chk-b"]}],
             "recommendations": [{"action": "a", "priority": "high"}],
             "citations": [{"id": "chk-a", "quote": "q"}]}
    jsonschema.validate(valid, report)
    jsonschema.validate(valid, schemas.REPORT)
    invented = {**valid, "citations": [{"id": "nope", "quote": "q"}]}
    assert not jsonschema.Draft202012Validator(report).is_valid(invented)
    assert jsonschema.Draft202012Validator(schemas.REPORT).is_valid(invented)


def test_bounded_numbers_become_enums_a_grammar_enforces() -> None:
    friendly = grammar_friendly(schemas.REPORT)
    assert friendly["$defs"]["Risk"]["properties"]["impact"]["enum"] == [1, 2, 3, 4, 5]
    confidence = friendly["properties"]["overall_confidence"]["enum"]
    assert confidence[0] == 0 and confidence[-1] == 1 and len(confidence) == 11
    compound = grammar_friendly({"type": "number", "minimum": -1, "maximum": 1})["enum"]
    assert compound[:2] == [-1, -0.8] and 0 in compound
    for value in confidence:
        jsonschema.validate(value, schemas.REPORT["properties"]["overall_confidence"])


def test_the_job_summary_keeps_the_estimated_flag_retries_and_repairs() -> None:
    records = [UsageRecord("openai", "m", "llm", 10, 5, upstream_requests=1),
               UsageRecord("openai", "m", "llm", 40, 0, tokens_estimated=True,
                           upstream_requests=4, retries=3, retry_wait_s=1.5, priced=False),
               UsageRecord("openai", "m", "llm", 20, 9, upstream_requests=2, repaired=True)]
    summary = summarise_usage(records)
    assert summary["tokens_estimated"] and summary["by_model"]["openai/m"]["tokens_estimated"]
    assert (summary["upstream_requests"], summary["retries"], summary["repairs"]) == (7, 3, 1)
    assert summary["retry_wait_s"] == 1.5 and summary["input_tokens"] == 70
    assert not summarise_usage(records[:1])["tokens_estimated"]

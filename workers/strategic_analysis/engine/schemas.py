"""JSON schemas the agents fill (the same for every LLM backend)."""

from __future__ import annotations

from typing import Any

EVIDENCE_IDS = {"type": "array", "items": {"type": "string"}}

PERSPECTIVE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "minLength": 1},
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"claim": {"type": "string", "minLength": 1},
                               "evidence_ids": {**EVIDENCE_IDS, "minItems": 1}},
                "required": ["claim", "evidence_ids"],
            },
        },
        "risks": {"type": "array", "items": {"type": "string"}},
        "opportunities": {"type": "array", "items": {"type": "string"}},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "method": {"type": "string", "enum": ["llm", "extractive"]},
    },
    "required": ["summary", "findings", "risks", "opportunities", "confidence"],
}

CRITIQUE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "minLength": 1},
        "challenges": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"claim": {"type": "string"}, "concern": {"type": "string"},
                               "evidence_ids": EVIDENCE_IDS},
                "required": ["claim", "concern"],
            },
        },
        "gaps": {"type": "array", "items": {"type": "string"}},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "method": {"type": "string", "enum": ["llm", "extractive"]},
    },
    "required": ["summary", "challenges", "gaps", "confidence"],
}

REPORT: dict[str, Any] = {
    "type": "object",
    "$defs": {
        "Risk": {
            "type": "object",
            "properties": {
                "risk": {"type": "string"},
                "likelihood": {"type": "string", "enum": ["low", "medium", "high"]},
                "impact": {"type": "integer", "minimum": 1, "maximum": 5},
                "evidence_ids": EVIDENCE_IDS,
            },
            "required": ["risk", "likelihood", "impact"],
        },
        "Recommendation": {
            "type": "object",
            "properties": {
                "action": {"type": "string"},
                "priority": {"type": "string", "enum": ["high", "medium", "low"]},
                "evidence_ids": EVIDENCE_IDS,
            },
            "required": ["action", "priority"],
        },
    },
    "properties": {
        "executive_summary": {"type": "string", "minLength": 1},
        "swot": {
            "type": "object",
            "properties": {name: {"type": "array", "items": {"type": "string"}}
                           for name in ("strengths", "weaknesses", "opportunities", "threats")},
            "required": ["strengths", "weaknesses", "opportunities", "threats"],
        },
        "key_risks": {"type": "array", "items": {"$ref": "#/$defs/Risk"}},
        "recommendations": {"type": "array", "items": {"$ref": "#/$defs/Recommendation"}},
        "overall_confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "citations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "quote": {"type": "string"}},
                "required": ["id", "quote"],
            },
        },
        "method": {"type": "string", "enum": ["llm", "extractive"]},
    },
    "required": ["executive_summary", "swot", "key_risks", "recommendations",
                 "overall_confidence", "citations"],
}


# A model (not the extractive filler) gets the schemas tightened so that a small one, whose
# output a grammar constrains (llama.cpp turns the schema into one), can only cite retrieved
# ids and writes a bounded amount. Every tightened schema accepts a subset of the original's
# values.
MODEL_MAX_ITEMS = 3
MODEL_MAX_CITATIONS = 5
MODEL_MAX_TEXT = 300


def for_model(schema: dict[str, Any], evidence_ids: list[str]) -> dict[str, Any]:
    """``schema`` for an LLM: cited ids restricted to ``evidence_ids``, lists and texts
    bounded."""
    ids = {"type": "string", "enum": list(evidence_ids)}

    def tighten(node: Any, name: str = "") -> Any:
        if isinstance(node, list):
            return [tighten(item) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: tighten(value, key) if key not in ("properties", "$defs") else
               {k: tighten(v, k) for k, v in value.items()} for key, value in node.items()}
        kind = out.get("type")
        if name == "evidence_ids" and kind == "array":
            out["items"] = ids
        if name == "citations" and kind == "array":
            out["items"]["properties"]["id"] = ids
        if kind == "array":
            limit = MODEL_MAX_CITATIONS if name == "citations" else MODEL_MAX_ITEMS
            out["maxItems"] = min(out.get("maxItems", limit), limit)
        if kind == "string" and "enum" not in out:
            out["maxLength"] = min(out.get("maxLength", MODEL_MAX_TEXT), MODEL_MAX_TEXT)
        return out

    return tighten(schema)

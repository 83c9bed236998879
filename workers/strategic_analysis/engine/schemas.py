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

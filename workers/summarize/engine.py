"""Summaries with key points: sections summarised separately, then combined (map-reduce),
by any LLM backend (the local one extracts sentences)."""

from __future__ import annotations

import re
from typing import Any

from app.workflows.summarize.sections import sections  # noqa: F401
from workers.llm.options import RequestOptions

SUMMARY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "minLength": 1},
        "key_points": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "keywords": {"type": "array", "items": {"type": "string"}},
        "method": {"type": "string", "enum": ["llm", "extractive"]},
    },
    "required": ["summary", "key_points", "keywords"],
}


def bounded(max_points: int) -> dict[str, Any]:
    """SUMMARY as a model is asked to follow it: at most ``max_points`` key points and a few
    keywords, each of a bounded length (a small model under a grammar otherwise writes on
    until its token limit cuts the JSON). Every value it allows, SUMMARY allows."""
    props = SUMMARY["properties"]
    text = {"type": "string", "minLength": 1, "maxLength": 300}
    return {**SUMMARY, "properties": {
        **props,
        "summary": {**props["summary"], "maxLength": 800},
        "key_points": {**props["key_points"], "items": text, "maxItems": max(1, max_points)},
        "keywords": {**props["keywords"], "items": {"type": "string", "maxLength": 40},
                     "maxItems": 8}}}


def passages(text: str, prefix: str) -> list[dict]:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [{"id": f"{prefix}{i}", "text": p} for i, p in enumerate(paragraphs, 1)]


def summarize_text(client, text: str, max_points: int, focus: str = "",
                   prefix: str = "p") -> tuple[dict, dict]:
    """(summary, usage) of one piece of text."""
    ask = f"Summarise the text in a short paragraph and at most {max_points} key points."
    if focus:
        ask += f" Focus on: {focus}."
    result = client.structured(
        [{"role": "system", "content": "You summarise documents faithfully."},
         {"role": "user", "content": ask}],
        SUMMARY, RequestOptions(role="summarizer", evidence=passages(text, prefix)),
        schema_name="summary",
        constraint=bounded(max_points) if client.backend.method == "llm" else None)
    data = dict(result.data)
    data["key_points"] = data["key_points"][:max_points]
    return data, result.usage.to_dict()


def combine(client, partials: list[dict], max_points: int, focus: str = ""
            ) -> tuple[dict, dict]:
    """(summary, usage) of the section summaries together."""
    if len(partials) == 1:
        return partials[0], {}
    text = "\n\n".join(p["summary"] + "\n\n" + "\n\n".join(p["key_points"]) for p in partials)
    return summarize_text(client, text, max_points, focus, prefix="s")

"""Summaries with key points: sections summarised separately, then combined (map-reduce),
by any LLM backend (the local one extracts sentences)."""

from __future__ import annotations

import re
from typing import Any

from workers.agents.llm.options import RequestOptions

SECTION_CHARS = 8000
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


def sections(text: str, size: int = SECTION_CHARS) -> list[str]:
    """Paragraph-aligned pieces of at most about ``size`` characters."""
    pieces, current = [], ""
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        while len(paragraph) > size:  # one huge paragraph: cut at a sentence end
            cut = paragraph.rfind(". ", 0, size) + 1 or size
            pieces.append((current + "\n\n" + paragraph[:cut]).strip())
            current, paragraph = "", paragraph[cut:].strip()
        if current and len(current) + len(paragraph) > size:
            pieces.append(current.strip())
            current = ""
        current += "\n\n" + paragraph
    if current.strip():
        pieces.append(current.strip())
    return pieces or [text]


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
        schema_name="summary")
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

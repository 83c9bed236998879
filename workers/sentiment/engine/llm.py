"""Sentiment scored by an LLM backend, in the same shape as the VADER path.

The model rates numbered texts in small groups and returns, per text, a compound score in
[-1, 1] and the positive/neutral/negative shares; labels then use the same ±0.05 thresholds
as VADER, so results from either path read the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from workers.llm.options import RequestOptions

UNIT = {"type": "number", "minimum": 0, "maximum": 1}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": {
        "type": "object",
        "properties": {"index": {"type": "integer", "minimum": 0},
                       "compound": {"type": "number", "minimum": -1, "maximum": 1},
                       "positive": UNIT, "neutral": UNIT, "negative": UNIT},
        "required": ["index", "compound", "positive", "neutral", "negative"]}}},
    "required": ["items"],
}
INSTRUCTIONS = (
    "Rate the sentiment of each numbered text. For every text return its index, a compound "
    "score from -1 (most negative) to 1 (most positive), and the shares of positive, neutral "
    "and negative content (each 0-1, summing to 1). Return one item per text.")



def one_item_per_text(n: int) -> dict[str, Any]:
    """The schema with exactly one item per text, in order (``prefixItems``): a server that
    enforces schemas with a grammar then cannot skip or repeat a text."""
    item = SCHEMA["properties"]["items"]["items"]
    tuple_items = [{**item, "properties": {**item["properties"], "index": {"const": i}}}
                   for i in range(n)]
    return {**SCHEMA, "properties": {"items": {"type": "array", "prefixItems": tuple_items,
                                               "items": False}}}


class IncompleteRatings(ValueError):
    """The model left texts unrated; asking again would not help (the step fails)."""


def score_with_llm(client, texts: Sequence[str], per_call: int = 20,
                   check: Callable[[], None] | None = None,
                   on_usage: Callable[[dict], None] | None = None) -> list[list[float]]:
    """[compound, pos, neu, neg] per text, like ``score_texts``."""
    rows: list[list[float]] = []
    for start in range(0, len(texts), per_call):
        if check is not None:
            check()
        group = list(texts[start:start + per_call])
        numbered = [{"index": i, "text": text} for i, text in enumerate(group)]
        result = client.structured(
            [{"role": "system", "content": INSTRUCTIONS},
             {"role": "user", "content": json.dumps(numbered, ensure_ascii=False)}],
            SCHEMA, RequestOptions(role="sentiment", temperature=0), schema_name="sentiment",
            constraint=one_item_per_text(len(group)) if client.backend.method == "llm"
            else None)
        if on_usage is not None:
            on_usage(result.usage.to_dict())
        by_index = {item["index"]: item for item in result.data["items"]}
        missing = sorted(set(range(len(group))) - set(by_index))
        if missing:
            raise IncompleteRatings(f"the model rated {len(group) - len(missing)} of "
                                 f"{len(group)} texts (missing indexes {missing[:10]})")
        rows += [[by_index[i]["compound"], by_index[i]["positive"], by_index[i]["neutral"],
                  by_index[i]["negative"]] for i in range(len(group))]
    return rows

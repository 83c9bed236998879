"""Schemas as grammar-constrained servers can enforce them.

llama.cpp (its servers, and Ollama's ``format``) turns a JSON schema into a grammar but
ignores ``minimum``/``maximum``: a small model then writes ``"confidence": 5`` for a 0–1 field
and the reply fails validation twice. Bounded numbers become enums of evenly spaced values
(tenths of the range; integers: each value when there are few), which a grammar does enforce.
Every value the converted schema allows, the original allows too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STEPS = 10
MAX_INTEGER_CHOICES = 21


def grammar_friendly(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with bounded numbers and integers as enums (recursively)."""
    return _convert(schema)


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out = {key: _convert(value) for key, value in node.items()}
    kind, low, high = out.get("type"), out.get("minimum"), out.get("maximum")
    if "enum" in out or not _number(low) or not _number(high) or high < low:
        return out
    if kind == "integer" and int(high) - int(low) < MAX_INTEGER_CHOICES:
        out["enum"] = list(range(int(low), int(high) + 1))
    elif kind == "number":
        step = (high - low) / STEPS
        out["enum"] = sorted({round(low + i * step, 6) for i in range(STEPS + 1)})
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)

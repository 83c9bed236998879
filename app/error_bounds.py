"""A bounded list of field errors: the first ``MAX_FIELD_ERRORS`` messages, in the shape of
the request, and a count of the rest (a body with a million bad items must not get back a
response larger than itself)."""

from __future__ import annotations

from typing import Any

MAX_FIELD_ERRORS = 100


def bounded(errors: Any, limit: int = MAX_FIELD_ERRORS) -> tuple[Any, int]:
    """(``errors`` keeping its first ``limit`` messages, how many were left out)."""
    budget = [limit]
    omitted = [0]

    def keep(node: Any) -> Any:
        if isinstance(node, dict):
            kept = {}
            for key, child in node.items():
                child = keep(child)
                if child not in ({}, []):
                    kept[key] = child
            return kept
        if isinstance(node, list | tuple):
            kept_items = [keep(child) for child in node]
            return [child for child in kept_items if child not in ({}, [])]
        if budget[0] > 0:
            budget[0] -= 1
            return node
        omitted[0] += 1
        return []

    return keep(errors), omitted[0]

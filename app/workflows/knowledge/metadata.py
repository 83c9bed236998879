"""What document metadata may hold, and so what a search filter may compare it with.

Chroma stores scalar metadata: strings, booleans, 64-bit integers and finite floats. A
value outside that (``1e400`` read as infinity, an integer of 30 digits) is refused here
with the key named, rather than by Chroma in an ingest step or a search.
"""

from __future__ import annotations

import math
import re
from typing import Any

from app.workflows.knowledge.errors import InputError
from app.workflows.knowledge.models import Metadata

METADATA_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
KEY_RULE = "keys must be 1-64 characters: letters, digits and _.- , starting with a letter"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# Keys the engine writes itself; user metadata may not use them.
RESERVED_KEYS = frozenset({
    "doc_id", "chunk_index", "start_char", "end_char", "token_count", "start_time",
    "end_time", "title", "source", "media_type", "chunk_count", "created_at", "updated_at",
    "kb_sealed_text",
})


def value_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a metadata value (None when it can)."""
    if isinstance(value, bool) or isinstance(value, str):
        return None
    if isinstance(value, int):
        return None if INT64_MIN <= value <= INT64_MAX else "integers must fit in 64 bits"
    if isinstance(value, float):
        return None if math.isfinite(value) else "numbers must be finite"
    return "values must be strings, numbers or booleans"


def validate_metadata(metadata: Metadata | None, field: str = "metadata") -> Metadata:
    """User metadata: short keys not used by the engine, scalar values only."""
    checked: Metadata = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not METADATA_KEY.match(key):
            raise InputError(f"{field}.{key}", KEY_RULE)
        if key in RESERVED_KEYS:
            raise InputError(f"{field}.{key}", "is reserved by the knowledge engine")
        problem = value_problem(value)
        if problem:
            raise InputError(f"{field}.{key}", problem)
        checked[key] = value
    return checked

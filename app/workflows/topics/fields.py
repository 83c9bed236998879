"""The ``k`` param of ``topics``: a number of topics, or ``auto``."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

AUTO = "auto"
MAX_K = 100


class TopicCount(fields.Field):
    """An integer from 1 to MAX_K, or the string ``auto`` (HDBSCAN chooses, and may leave
    texts in no topic)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {}).update({
            "description": f"How many topics: 1-{MAX_K} (k-means), or \"auto\" (HDBSCAN "
                           "finds them and may leave outliers, topic -1)",
            "oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_K},
                      {"type": "string", "enum": [AUTO]}]})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int | str:
        if value == AUTO:
            return AUTO
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"Must be an integer from 1 to {MAX_K} or \"auto\".")
        if not 1 <= value <= MAX_K:
            raise ValidationError(f"Must be between 1 and {MAX_K}, or \"auto\".")
        return value

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value

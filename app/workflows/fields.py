"""Custom marshmallow fields shared by workflow schemas."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import ValidationError, fields


class Timestamp(fields.Field):
    """An ISO 8601 date-time or epoch seconds, loaded as epoch seconds (UTC when naive)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault(
            "description", "ISO 8601 date-time (UTC when no offset) or epoch seconds")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> float:
        if isinstance(value, bool):
            raise ValidationError("Not a valid timestamp.")
        if isinstance(value, (int, float)):
            if not -1e11 < value < 1e11:
                raise ValidationError("Epoch seconds out of range.")
            return float(value)
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ValidationError("Not a valid ISO 8601 timestamp.") from None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.timestamp()
        raise ValidationError("Not a valid timestamp.")

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def list_length_matches(data: dict, name: str, other: str = "texts") -> None:
    """Raise a field-level error when ``data[name]`` is not as long as ``data[other]``."""
    if data.get(name) is not None and len(data[name]) != len(data[other]):
        raise ValidationError(
            f"Must have one entry per item of '{other}' ({len(data[other])}), "
            f"got {len(data[name])}.", field_name=name)


def nested_error(path: str, message: str) -> ValidationError:
    """A ValidationError whose messages nest along a dotted path ("params.a.0" →
    {"params": {"a": {"0": [message]}}}), so engine errors look like schema errors."""
    messages: dict | list = [message]
    for part in reversed(path.split(".")):
        messages = {part: messages}
    return ValidationError(messages)

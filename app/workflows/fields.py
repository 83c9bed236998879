"""Custom marshmallow fields shared by workflow schemas, and engine errors as field errors."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate
from marshmallow.error_store import merge_errors

from app.errors import InputError


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


def nested_messages(path: str, message: str) -> dict:
    """Messages nested along a dotted path: "params.a.0" → {"params": {"a": {0: [message]}}}.
    List positions are ints, as in marshmallow's own messages, so that both merge into one
    dict that can be serialised (with sorted keys) when an answer holds both."""
    messages: dict | list = [message]
    for part in reversed(path.split(".")):
        messages = {int(part) if part.isdigit() else part: messages}
    return messages


def nested_error(path: str, message: str) -> ValidationError:
    """A ValidationError on a dotted path, so engine errors look like schema errors."""
    return ValidationError(nested_messages(path, message))


class EngineErrors:
    """Gathers the engine's input errors of several checks into one ValidationError, so that
    a request learns every problem in one answer instead of one per attempt::

        errors = EngineErrors()
        with errors.check():
            validate_a(...)
        with errors.check():
            validate_b(...)
        errors.raise_any()
    """

    def __init__(self) -> None:
        self.messages: dict = {}

    @contextmanager
    def check(self, prefix: str = "") -> Iterator[None]:
        try:
            yield
        except InputError as exc:
            path = f"{prefix}.{exc.field}" if prefix else exc.field
            self.messages = merge_errors(self.messages, nested_messages(path, exc.message))

    def raise_any(self) -> None:
        if self.messages:
            raise ValidationError(self.messages)


def discriminator(value: str) -> fields.String:
    """The property that names which variant of a :class:`~app.workflows.oneof.OneOfSchema`
    an object is (its schema says ``enum: [value]``)."""
    return fields.String(required=True, validate=validate.Equal(value))


def _plain_number(value: Any) -> bool:
    return (type(value) is float and math.isfinite(value)) or (
        type(value) is int and -1e308 < value < 1e308)


class Number(fields.Float):
    """A finite JSON number, kept as sent (an int stays an int). Unlike ``Float`` it refuses
    numeric strings and booleans, as the engines that read the value after it do."""

    default_error_messages = {"invalid": "Not a number.",
                              "special": "Must be a finite number.",
                              "too_large": "Is too large (at most about 1.8e308)."}

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        if not _plain_number(value):
            raise self.make_error("too_large" if type(value) is int else "special")
        return value


class NumberList(fields.List):
    """A list of :class:`Number` (``nullable_items``: or null) checked in one pass when it is
    clean: marshmallow checks a list item by item at about 4 µs each, seconds for the long
    series a request may carry. Only a list with a bad item is checked item by item, for
    the messages."""

    def __init__(self, nullable_items: bool = False, **kwargs: Any) -> None:
        self.nullable_items = nullable_items
        super().__init__(Number(allow_none=nullable_items), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list:
        if isinstance(value, list) and all(
                _plain_number(v) or (v is None and self.nullable_items) for v in value):
            return list(value)
        return super()._deserialize(value, attr, data, **kwargs)

"""The JSON types a pipeline checks statically: of a param (from its marshmallow field) and
of a result's value (from the producing workflow's ``result_types``), and a placeholder of a
param's type for validating a stage's params before its mapped inputs exist."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from app.workflows.pipeline.paths import Token

_SCALARS: tuple[tuple[type[fields.Field], str], ...] = (
    (fields.Boolean, "boolean"), (fields.Integer, "integer"), (fields.Number, "number"),
    (fields.String, "string"), (fields.Dict, "object"), (fields.Nested, "object"))
_PLACEHOLDERS = {"boolean": False, "integer": 0, "number": 0.0, "string": "placeholder",
                 "object": {}}


def field_type(field: fields.Field | None) -> str | None:
    """The JSON type a field takes (None: not known, e.g. a custom field)."""
    if isinstance(field, fields.List):
        inner = field_type(field.inner)
        return f"array<{inner}>" if inner else "array"
    for kind, name in _SCALARS:
        if isinstance(field, kind):
            return name
    return None


def field_at(schema: Schema, tokens: list[Token]) -> fields.Field | None:
    """The field of ``schema`` that a param path leads to (None when it leads nowhere the
    schema declares, e.g. into a free-form object)."""
    field: Any = None
    for token in tokens:
        if isinstance(token, int):
            if not isinstance(field, fields.List):
                return None
            field = field.inner
            continue
        if field is None:
            fields_of = schema.fields
        elif isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            fields_of = field.schema.fields
        else:
            return None
        field = next((f for name, f in fields_of.items() if (f.data_key or name) == token),
                     None)
        if field is None:
            return None
    return field


def compatible(produced: str | None, wanted: str | None) -> bool:
    """Whether a value of type ``produced`` can fill a param of type ``wanted`` (unknown
    types are not held against anyone)."""
    if produced is None or wanted is None or produced == wanted:
        return True
    if produced == "integer" and wanted == "number":
        return True
    if produced.startswith("array") and wanted.startswith("array"):
        if "<" not in produced or "<" not in wanted:
            return True
        return compatible(produced[6:-1], wanted[6:-1])
    return False


def placeholder(kind: str | None) -> Any:
    """A value of the JSON type ``kind`` (None when it is not known)."""
    if kind and kind.startswith("array"):
        inner = placeholder(kind[6:-1]) if "<" in kind else None
        return [] if inner is None else [inner]
    return _PLACEHOLDERS.get(kind or "")

"""Checks a workflow's params pass before its schema walks them, whatever the surface.

marshmallow deserialises every item of a list before it checks the list's length, and
reports every unknown key: a million wrong items in ``texts`` took 20 s and made a 35 MB
error. So the shape limits (``app.json_shape``) and each list's declared maximum length are
checked first, at the cost of ``len()``.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from app.json_shape import ShapeError, check_shape


def precheck(schema: Schema, params: dict[str, Any]) -> None:
    """Raise a field-level ``ValidationError`` when ``params`` is too large to validate."""
    try:
        check_shape(params)
    except ShapeError as error:
        raise ValidationError(error.messages()) from None
    variants = getattr(schema, "variants", None)  # a oneOf schema: its variant's fields
    if variants is not None:
        kind = params.get(schema.discriminator)  # any JSON value: a list is no dict key
        variant = (variants.get(kind) if isinstance(kind, str) else None) or schema.common
        if variant is None:
            return
        schema = variant()
    for name, field in schema.fields.items():
        key = field.data_key or name
        value = params.get(key)
        if not isinstance(field, fields.List) or not isinstance(value, list):
            continue
        for validator in field.validators:
            if isinstance(validator, validate.Length):
                try:
                    validator(value)  # only len(value): the items are not looked at
                except ValidationError as error:
                    raise ValidationError({key: error.messages}) from None

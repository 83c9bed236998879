"""How marshmallow schemas become OpenAPI 3.0 schema objects, for the spec and for the
workflows endpoint alike: apispec's converter, plus a
:class:`~app.workflows.oneof.OneOfSchema` as ``oneOf`` with a ``discriminator``, and the
exclusive bounds of ``Range`` validators (apispec writes the bound alone)."""

from __future__ import annotations

from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from apispec.ext.marshmallow.openapi import OpenAPIConverter
from marshmallow import RAISE, fields, validate

from app.workflows.oneof import OneOfSchema


def exclusive_bounds(self: OpenAPIConverter, field: fields.Field, ret: dict,
                     **kwargs: Any) -> dict:
    """``exclusiveMinimum``/``exclusiveMaximum`` (OpenAPI 3.0's booleans) of a Range that
    leaves its bound out, e.g. ``s0 > 0``."""
    out = {}
    for validator in field.validators:
        if not isinstance(validator, validate.Range):
            continue
        if validator.min is not None and not validator.min_inclusive and "minimum" in ret:
            out["exclusiveMinimum"] = True
        if validator.max is not None and not validator.max_inclusive and "maximum" in ret:
            out["exclusiveMaximum"] = True
    return out


class Converter(OpenAPIConverter):
    def init_attribute_functions(self) -> None:
        super().init_attribute_functions()
        self.add_attribute_function(exclusive_bounds)

    def schema2jsonschema(self, schema: Any) -> dict:
        instance = resolve_schema_instance(schema)
        if isinstance(instance, OneOfSchema):
            refs = {value: self.resolve_nested_schema(variant)
                    for value, variant in instance.variants.items()}
            return {"oneOf": list(refs.values()), "discriminator": {
                "propertyName": instance.discriminator,
                "mapping": {value: ref["$ref"] for value, ref in refs.items()}}}
        out = super().schema2jsonschema(schema)
        if instance.unknown == RAISE:  # apispec leaves this out when Meta has a description
            out["additionalProperties"] = False
        return out


class Plugin(MarshmallowPlugin):
    Converter = Converter

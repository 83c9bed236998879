"""A params object that is one of several shapes, told apart by one property: OpenAPI's
``oneOf`` with a ``discriminator`` (``app.api.spec`` writes it so), loaded by marshmallow.

``monte_carlo`` is one: ``model`` says whether ``params`` holds a GBM, a bootstrap or a
scenario. Loading picks the variant's schema by that property and loads with it, so every
error of the request (top level and nested) comes back in one answer. With the property
missing or unknown, the fields all variants share are still checked.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import EXCLUDE, Schema, ValidationError
from marshmallow.error_store import merge_errors


class OneOfSchema(Schema):
    """Subclasses set ``discriminator``, ``variants`` (value → schema) and optionally
    ``common`` (the fields every variant has)."""

    discriminator: ClassVar[str]
    variants: ClassVar[dict[str, type[Schema]]]
    common: ClassVar[type[Schema] | None] = None

    def _variant(self, data: Any) -> type[Schema]:
        """The variant ``data`` names; a ValidationError listing what is wrong otherwise."""
        if not isinstance(data, dict):
            raise ValidationError({"_schema": ["Invalid input type."]})
        value = data.get(self.discriminator)
        if isinstance(value, str) and value in self.variants:
            return self.variants[value]
        message = ("Missing data for required field." if value is None else
                   f"Must be one of: {', '.join(self.variants)}.")
        errors: dict = {self.discriminator: [message]}
        if self.common is not None:  # what can be checked without knowing the variant
            errors = merge_errors(errors, self.common(unknown=EXCLUDE).validate(data))
        raise ValidationError(errors)

    def load(self, data: Any, *, many: bool | None = None, partial: Any = None,
             unknown: str | None = None) -> Any:
        if many or self.many:  # each item its own variant; errors keyed by position
            if not isinstance(data, list):
                raise ValidationError({"_schema": ["Invalid input type."]})
            loaded, errors = [], {}
            for index, item in enumerate(data):
                try:
                    loaded.append(self._variant(item)().load(item, partial=partial,
                                                             unknown=unknown))
                except ValidationError as exc:
                    errors[index] = exc.messages
            if errors:
                raise ValidationError(errors)
            return loaded
        return self._variant(data)().load(data, partial=partial, unknown=unknown)

    def validate(self, data: Any, *, many: bool | None = None,
                 partial: Any = None) -> dict[str, Any]:
        """Every error of ``data``, without running post-load hooks (like ``Schema``'s)."""
        try:
            variant = self._variant(data)
        except ValidationError as exc:
            return exc.messages  # type: ignore[return-value]
        return variant().validate(data, partial=partial)

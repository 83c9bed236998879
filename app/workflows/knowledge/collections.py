"""What the knowledge-base workflows share at submit time: the target collection must exist
for the submitting tenant, and engine input errors become field-level validation errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from marshmallow import ValidationError, fields, validate

from app.workflows.fields import nested_error
from app.workflows.knowledge import service as knowledge
from app.workflows.knowledge.errors import InputError, NotFound
from app.workflows.knowledge.models import CollectionInfo


def collection_field() -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=128), metadata={
        "description": "Knowledge-base collection of the submitting tenant (it must exist)"})


@contextlib.contextmanager
def as_validation_error(prefix: str = "") -> Iterator[None]:
    """Re-raise the engine's ``InputError`` as a ValidationError on its (dotted) field."""
    try:
        yield
    except InputError as error:
        field = f"{prefix}.{error.field}" if prefix else error.field
        message = error.message.removeprefix(f"{error.field}: ")
        raise nested_error(field, message) from None


def existing_collection(tenant: str, name: str) -> CollectionInfo:
    """The tenant's collection, or a 422 on ``collection`` naming what to do."""
    try:
        with as_validation_error():
            return knowledge.describe_collection(tenant, name)
    except NotFound:
        raise ValidationError({"collection": [
            f"No collection {name!r}; create it first (POST /api/v1/collections)."]}) from None

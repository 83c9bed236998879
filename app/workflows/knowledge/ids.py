"""Content-derived identifiers, so that ingesting the same thing twice is a no-op."""

from __future__ import annotations

import hashlib
import re

from app.workflows.knowledge.errors import InputError

_DOCUMENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,199}$")


def document_id_for(text: str) -> str:
    """Id of a document given without one: a hash of its whitespace-normalised text.

    It does not depend on the collection, so the same text has the same id everywhere.
    """
    normalised = " ".join(text.split())
    return "doc-" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]


def chunk_id(document_id: str, index: int, text: str) -> str:
    """Id of a chunk: changes only if its document, position or text changes."""
    material = f"{document_id}\x1f{index}\x1f{text}".encode()
    return "chk-" + hashlib.sha256(material).hexdigest()[:32]


def validate_document_id(document_id: str, field: str = "document_id") -> str:
    if not isinstance(document_id, str) or not _DOCUMENT_ID.match(document_id):
        raise InputError(field, "must be 1-200 characters: letters, digits and ._:@/- , "
                                "starting with a letter or digit")
    return document_id

"""Knowledge-base changes on behalf of a principal: write permission, tenant and audit.

Reading and searching go straight to :mod:`app.workflows.knowledge.service` with the caller's
tenant; the changes here check that the key may write and record ``collection.create``,
``collection.delete``, ``document.add`` and ``document.delete`` entries on
``collection:<name>`` (failed and refused attempts too).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app import audit, service
from app.auth.keys import Principal
from app.workflows.knowledge import service as knowledge
from app.workflows.knowledge.models import CollectionInfo


def _target(name: str, *_: object, **__: object) -> str:
    return f"collection:{name}"


@audit.audits("collection.create", _target)
def create_collection(principal: Principal, name: str, embedder: str | None = None,
                      description: str | None = None) -> CollectionInfo:
    service.require_write(principal)
    return knowledge.create_collection(principal.tenant, name, embedder, description)


@audit.audits("collection.delete", _target)
def delete_collection(principal: Principal, name: str) -> None:
    service.require_write(principal)
    knowledge.delete_collection(principal.tenant, name)


@audit.audits("document.delete", _target)
def delete_document(principal: Principal, name: str, document_id: str) -> int:
    """Remove a document and its chunks; returns the number of chunks removed."""
    service.require_write(principal)
    return knowledge.delete_document(principal.tenant, name, document_id)


@contextmanager
def adding_documents(principal: Principal, name: str) -> Iterator[audit.Entry]:
    """Around an upload into an existing collection of the caller's: checked (403, 404)
    before the body is read, audited as ``document.add``; the caller submits the ingest job
    inside the block and notes it in ``entry.detail``."""
    with audit.audited("document.add", principal, _target(name)) as entry:
        service.require_write(principal)
        knowledge.describe_collection(principal.tenant, name)
        yield entry

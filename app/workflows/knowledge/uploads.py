"""Staging for uploaded documents between the API and the ingest steps.

An ingest job's params and its task messages carry a reference to each document, not the
document: params are returned by every ``GET /jobs/<id>`` poll and messages travel through the
broker, so megabytes of content in either would make every poll and every delivery heavy.
The API stores each document once in Redis (``dia3:upload:<id>``); its step reads it, and the
job's last step removes them all once the job has succeeded (a step delivered again after a
crash, or a retried job, still finds its document). Deleting or purging a failed or
cancelled job removes its uploads too (:func:`staged_keys`, the ingest workflow's clean-up
hook); a TTL cleans up after everything else. With encryption at rest on, documents are
staged sealed.
"""

from __future__ import annotations

import uuid
from typing import Any

from app import redis_keys
from app.extensions import envelope
from app.redis_client import get_bytes_redis

KEY_PREFIX = redis_keys.UPLOAD
TTL_SECONDS = 7 * 24 * 3600


def stage(data: bytes) -> str:
    """Keep ``data`` for an ingest step; returns its reference."""
    ref = uuid.uuid4().hex
    get_bytes_redis().set(KEY_PREFIX + ref, envelope().seal(data, f"upload:{ref}"),
                          ex=TTL_SECONDS)
    return ref


def fetch(ref: str) -> bytes | None:
    """The staged bytes, or None when they expired or were already consumed."""
    stored = get_bytes_redis().get(KEY_PREFIX + ref)
    return None if stored is None else envelope().open(stored, f"upload:{ref}")


def discard(ref: str) -> None:
    get_bytes_redis().delete(KEY_PREFIX + ref)


def staged_keys(params: dict[str, Any]) -> list[str]:
    """The staged uploads an ingest job's params name: deleting the job removes them (the
    ingest workflow's clean-up hook)."""
    documents = params.get("documents")
    if not isinstance(documents, list):
        return []
    return [KEY_PREFIX + doc["upload"] for doc in documents
            if isinstance(doc, dict) and isinstance(doc.get("upload"), str)]

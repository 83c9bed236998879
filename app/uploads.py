"""Staging for uploaded documents between the API and the ingest steps.

An ingest job's params and its task messages carry a reference to each document, not the
document: params are returned by every ``GET /jobs/<id>`` poll and messages travel through the
broker, so megabytes of content in either would make every poll and every delivery heavy.
The API stores each document once in Redis (``dia3:upload:<id>``); its step reads it, and the
job's last step removes them all once the job has succeeded (a step delivered again after a
crash, or a retried job, still finds its document). Deleting or purging a failed or
cancelled job removes its uploads too; a TTL cleans up after everything else.
"""

from __future__ import annotations

import os
import uuid

import redis

from app.redis_client import make_client, redis_url

KEY_PREFIX = "dia3:upload:"
TTL_SECONDS = 7 * 24 * 3600
_clients: dict[tuple[int, str], redis.Redis] = {}


def _client() -> redis.Redis:
    """A bytes (non-decoding) client: documents may be binary (PDF)."""
    url = redis_url()
    key = (os.getpid(), url)
    if key not in _clients:
        _clients[key] = make_client(url, decode_responses=False)
    return _clients[key]


def stage(data: bytes) -> str:
    """Keep ``data`` for an ingest step; returns its reference."""
    ref = uuid.uuid4().hex
    _client().set(KEY_PREFIX + ref, data, ex=TTL_SECONDS)
    return ref


def fetch(ref: str) -> bytes | None:
    """The staged bytes, or None when they expired or were already consumed."""
    return _client().get(KEY_PREFIX + ref)


def discard(ref: str) -> None:
    _client().delete(KEY_PREFIX + ref)

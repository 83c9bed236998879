"""Redis response cache: identical requests to the same backend and model are answered once.

The key is a SHA-256 over the backend name and the request's fingerprint (model, messages,
schema, evidence and sampling parameters), so any change to those misses the cache. The
cache is an optimisation: if Redis fails, a lookup counts as a miss and a store is skipped.
A call works on its :class:`CacheEntry`, which also counts the hit/miss metrics; a call that
must not be cached gets :data:`NO_CACHE`, which never hits and stores nothing.

A reply stored while a job's step runs is also listed under that job
(:func:`app.redis_keys.llm_cache_of_job`, as long as the entry lives), so erasing a tenant can
remove the replies its jobs put in the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import redis

from app import redis_keys
from app.logs import job_id_var

from . import metrics
from .messages import LLMRequest

log = logging.getLogger(__name__)

CACHE_FORMAT_VERSION = 1


class ResponseCache:
    def __init__(
        self,
        redis_client: redis.Redis,
        *,
        ttl_s: int,
        key_prefix: str = redis_keys.LLM,
    ) -> None:
        self._redis = redis_client
        self._ttl_s = ttl_s
        self._prefix = f"{key_prefix}:cache"

    def key_for(self, backend: str, kind: str, request: LLMRequest) -> str:
        payload = {
            "v": CACHE_FORMAT_VERSION,
            "backend": backend,
            "kind": kind,
            "request": request.fingerprint(),
        }
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return f"{self._prefix}:{hashlib.sha256(canonical.encode()).hexdigest()}"

    def entry(self, backend: str, kind: str, request: LLMRequest) -> CacheEntry:
        """Where the ``kind`` (``"chat"``/``"structured"``) reply to ``request`` is kept."""
        return CacheEntry(self, self.key_for(backend, kind, request), backend, request.model)

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = self._redis.get(key)
        except redis.RedisError as exc:
            log.warning("response cache unavailable, treating as a miss: %s", exc)
            return None
        return None if raw is None else json.loads(raw)

    def put(self, key: str, value: dict[str, Any]) -> None:
        if self._ttl_s <= 0:
            return
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.set(key, json.dumps(value), ex=self._ttl_s)
            job_id = job_id_var.get()
            if job_id:
                owned = f"{self._prefix}-job:{job_id}"
                pipe.sadd(owned, key)
                pipe.expire(owned, self._ttl_s)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("response cache unavailable, reply not stored: %s", exc)


@dataclass(frozen=True)
class CacheEntry:
    """One call's place in the cache; ``backend`` and ``model`` label the hit/miss metrics."""

    cache: ResponseCache | None = None
    key: str = ""
    backend: str = ""
    model: str = ""

    def load(self) -> dict[str, Any] | None:
        """The stored reply, or ``None`` on a miss (counted) or without a cache (not counted)."""
        if self.cache is None:
            return None
        hit = self.cache.get(self.key)
        counter = metrics.CACHE_HITS if hit is not None else metrics.CACHE_MISSES
        counter.labels(self.backend, self.model).inc()
        return hit

    def store(self, value: dict[str, Any]) -> None:
        if self.cache is not None:
            self.cache.put(self.key, value)


NO_CACHE = CacheEntry()

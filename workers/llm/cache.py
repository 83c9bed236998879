"""Redis response cache: identical requests to the same backend and model are answered once.

The key is a SHA-256 over the backend name and the request's fingerprint (model, messages,
schema, evidence and sampling parameters), so any change to those misses the cache. The
cache is an optimisation: if Redis fails, a lookup counts as a miss and a store is skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import redis

from workers.llm.messages import LLMRequest

log = logging.getLogger(__name__)

CACHE_FORMAT_VERSION = 1


class ResponseCache:
    def __init__(
        self,
        redis_client: redis.Redis,
        *,
        ttl_s: int,
        key_prefix: str = "dia3:llm",
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
            self._redis.set(key, json.dumps(value), ex=self._ttl_s)
        except redis.RedisError as exc:
            log.warning("response cache unavailable, reply not stored: %s", exc)

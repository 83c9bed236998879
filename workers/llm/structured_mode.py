"""How an OpenAI-compatible server takes a JSON schema, once found out, remembered per server.

In ``auto`` mode the OpenAI backend finds out from the server's answers whether it takes
OpenAI's ``json_schema`` response format or llama.cpp's ``json_object`` with the schema
(:mod:`.backends.openai_backend`). What it found is kept in Redis by the server's base URL
(:func:`app.redis_keys.llm_structured_modes`), so every worker process and container asks
that server the right way from its first request: a server that refuses ``json_schema``
costs one refused request per detection, not one per process. ``dia3 doctor`` lists what was
found (:func:`app.llm.structured_modes`), and ``dia3_llm_structured_mode_total`` counts
detections and recalls. Redis failing only costs the sharing: the backend then detects for
itself.
"""

from __future__ import annotations

import logging

import redis

from app import redis_keys

log = logging.getLogger(__name__)

#: the modes a detection can end in
MODES = ("json_schema", "json_object")


class ModeMemory:
    """The structured-output mode of each server, shared through Redis."""

    def __init__(self, redis_client: redis.Redis, *, key_prefix: str = redis_keys.LLM) -> None:
        self._redis = redis_client
        self._key = redis_keys.llm_structured_modes(key_prefix)

    def recall(self, server: str) -> str | None:
        """The mode found for ``server`` earlier (by any process), or ``None``."""
        try:
            value = self._redis.hget(self._key, server)
        except redis.RedisError as exc:
            log.warning("could not read the structured-output modes: %s", exc)
            return None
        mode = value.decode() if isinstance(value, bytes) else value
        return mode if mode in MODES else None

    def remember(self, server: str, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"not a structured-output mode: {mode!r}")
        try:
            self._redis.hset(self._key, server, mode)
        except redis.RedisError as exc:
            log.warning("could not store the structured-output mode: %s", exc)


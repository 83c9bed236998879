"""A request quota shared by every worker process, kept in Redis.

Sliding-window log: each granted request is a member of a sorted set scored by Redis
server time, so all workers agree on the clock. One Lua script prunes old entries, counts
and records atomically, which makes the limit exact under concurrency.
"""

from __future__ import annotations

import uuid

import redis

from app import redis_keys
from app.workflows.knowledge.errors import RateLimited, TransientError

_ACQUIRE = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window / 1000))
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""


class RedisRateLimiter:
    """At most ``limit`` requests per ``period`` seconds for quota ``name``, across workers."""

    def __init__(self, client: redis.Redis, name: str, limit: int, period: float = 60.0,
                 key_prefix: str = f"{redis_keys.RATE_LIMIT}:") -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if period <= 0:
            raise ValueError("period must be positive")
        self.name = name
        self.limit = limit
        self.period = period
        self.key = f"{key_prefix}{name}"
        self._script = client.register_script(_ACQUIRE)

    def try_acquire(self) -> float:
        """Take one request from the quota: 0.0 if granted, else seconds until one frees up.

        Raises ``TransientError`` when Redis cannot be reached: without the shared count no
        worker may assume it is within the quota.
        """
        try:
            wait_us = int(self._script(
                keys=[self.key],
                args=[self.limit, int(self.period * 1_000_000), uuid.uuid4().hex],
            ))
        except redis.RedisError as error:
            raise TransientError(f"rate limiter {self.name!r} unavailable: {error}",
                                 reason="rate_limiter_unavailable") from error
        return wait_us / 1_000_000

    def acquire(self) -> None:
        """Take one request or raise ``RateLimited`` (a ``TransientError``) with retry_after.

        Never sleeps: a Celery task should retry later rather than hold a worker slot.
        """
        wait = self.try_acquire()
        if wait > 0:
            raise RateLimited(f"{self.name}: {self.limit} per {self.period:g}s", wait)

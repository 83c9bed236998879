"""Runs in a spawned process: hammers the shared rate limiter and reports admission times."""

from __future__ import annotations

from typing import Any

import redis

from workers.llm.rate_limit import RateLimits, RedisRateLimiter


def hammer(
    redis_url: str,
    key_prefix: str,
    limits: tuple[int, int],
    window_s: float,
    acquisitions: int,
    tokens_each: int,
    barrier: Any,
    results: Any,
) -> None:
    client = redis.Redis.from_url(redis_url)
    limiter = RedisRateLimiter(
        client,
        {"openai": RateLimits(*limits)},
        key_prefix=key_prefix,
        window_s=window_s,
        max_wait_s=30,
    )
    barrier.wait()
    admitted = []
    for _ in range(acquisitions):
        admission = limiter.acquire("openai", tokens=tokens_each)
        admitted.append((admission.admitted_at_us, admission.waited_s))
    results.put(admitted)

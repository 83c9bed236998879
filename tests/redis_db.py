"""Giving each test session or benchmark run a Redis database of its own.

Several sessions and benchmarks can share one Redis server on a machine; each takes a free
database (the one in the URL first, then the others), flushes it, and holds a lock key in it
while it runs, so nobody flushes or consumes another's queues.
"""

from __future__ import annotations

import os

import redis

SESSION_LOCK = "dia3-test-session"
LOCK_SECONDS = 3 * 3600


def claim_database(url: str) -> str | None:
    """The URL of a free database of the server at ``url``, flushed; None if all are taken."""
    base, _, db = url.rpartition("/")
    first = int(db) if db.isdigit() else 11
    for number in list(range(first, 16)) + list(range(1, first)):
        candidate = f"{base}/{number}"
        client = redis.Redis.from_url(candidate)
        if client.set(SESSION_LOCK, os.getpid(), nx=True, ex=LOCK_SECONDS):
            client.flushdb()
            client.set(SESSION_LOCK, os.getpid(), ex=LOCK_SECONDS)
            return candidate
    return None


def release_database(url: str) -> None:
    redis.Redis.from_url(url).delete(SESSION_LOCK)

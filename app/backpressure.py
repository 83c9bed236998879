"""Queue backpressure: new jobs are refused while the queue their first step goes to is
deeper than ``DIA3_QUEUE_MAX_DEPTH``.

A backlog that only grows helps nobody: it fills Redis's memory with messages and makes every
job wait longer. Refusing early with a 503 and ``Retry-After`` tells clients to slow down
while the workers catch up, and nothing is recorded for a refused job.

Depths are read for all queues in one pipelined round trip and kept for about a second per
process, so a burst of submissions costs one Redis round trip a second, not one per job. The
limit bounds the backlog, not exactly: a job admitted just under it still enqueues all of
its first steps (up to a few hundred for a large fan-out).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

import redis

from app import metrics
from app.broker import QUEUES
from app.settings import get_settings

CACHE_SECONDS = 1.0
RETRY_AFTER_SECONDS = 10


class QueueFull(Exception):
    """A job's queue is over the depth limit; nothing was written."""

    def __init__(self, queue: str, depth: int, limit: int):
        super().__init__(f"Queue '{queue}' holds {depth} waiting messages, over the limit of "
                         f"{limit} (DIA3_QUEUE_MAX_DEPTH); retry when workers have caught up.")
        self.queue, self.depth, self.limit = queue, depth, limit


class DepthCache:
    """Queue depths read from Redis at most once per ``ttl`` seconds."""

    def __init__(self, client_factory: Callable[[], redis.Redis], ttl: float = CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.client_factory, self.ttl, self.clock = client_factory, ttl, clock
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._depths: dict[str, int] = {}

    def depth(self, queue: str) -> int:
        with self._lock:
            if self.clock() - self._read_at > self.ttl or queue not in self._depths:
                wanted = set(QUEUES) | set(self._depths) | {queue}
                self._depths = metrics.queue_depths(self.client_factory(), sorted(wanted))
                self._read_at = self.clock()
            return self._depths[queue]


def admit(cache: DepthCache, queue: str, pending: int = 0) -> None:
    """Raise :class:`QueueFull` (and count it) when ``queue`` is over the limit, counting
    ``pending`` messages about to be sent to it (the jobs admitted before in one batch)."""
    limit = get_settings().queue_max_depth
    if limit <= 0:
        return
    depth = cache.depth(queue) + pending
    if depth > limit:
        metrics.BACKPRESSURE_REJECTIONS.labels(queue).inc()
        raise QueueFull(queue, depth, limit)


def report(client: redis.Redis, queues: Iterable[str]) -> dict:
    """Fresh queue depths, the limit and the queues refusing new jobs, for ``/readyz``."""
    limit = get_settings().queue_max_depth
    depths = metrics.queue_depths(client, list(queues))
    return {"max_depth": limit, "depth": depths,
            "backpressure": [queue for queue, depth in depths.items() if 0 < limit < depth]}

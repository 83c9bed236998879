"""Worker presence: each worker process group writes a heartbeat to Redis.

Readiness checks, the landing page, metrics and the reaper read this instead of broadcasting
Celery pings, which would cost a round of network waits on every request.
"""

from __future__ import annotations

import json
import time

import redis

from app import redis_keys

KEY = redis_keys.WORKERS


class WorkerRegistry:
    def __init__(self, lost_after: float):
        #: a worker silent for this long is considered gone
        self.deadline = lost_after

    def beat(self, client: redis.Redis, hostname: str, info: dict) -> None:
        pipe = client.pipeline(transaction=False)
        pipe.zadd(KEY, {hostname: time.time()})
        pipe.set(f"{KEY}:{hostname}", json.dumps(info), ex=int(self.deadline * 4))
        pipe.execute()

    def leave(self, client: redis.Redis, hostname: str) -> None:
        client.zrem(KEY, hostname)
        client.delete(f"{KEY}:{hostname}")

    def alive(self, client: redis.Redis) -> list[str]:
        cutoff = time.time() - self.deadline
        return client.zrangebyscore(KEY, cutoff, "+inf")

    def describe(self, client: redis.Redis) -> list[dict]:
        names = self.alive(client)
        if not names:
            return []
        raw = client.mget([f"{KEY}:{name}" for name in names])
        return [dict(json.loads(info) if info else {}, hostname=name)
                for name, info in zip(names, raw)]

"""Durability of an acknowledged submission: it reached ``DIA3_REDIS_MIN_REPLICAS`` replicas.

Redis replicates asynchronously, so a write the primary confirmed can be lost when the
primary dies before its replicas got it, and a failover promotes one of them. A submission is
therefore acknowledged only after Redis ``WAIT`` says enough replicas have it. ``WAIT``
counts the replicas that reached the offset of the last write *of its own connection*, so a
small write to :data:`app.redis_keys.REPLICATION_MARK` goes first on the same connection (one
pipeline): its offset is past every earlier write of every connection (the job record, the
step message Celery published), and so is what the replicas acknowledge.
"""

from __future__ import annotations

import redis

from app import redis_keys
from app.errors import NotReplicated
from app.settings import get_settings

#: a failover takes a few seconds; a refused client retries after this
RETRY_AFTER_SECONDS = 2


def confirm(client: redis.Redis) -> None:
    """Wait until the required replicas have everything written so far (no-op when 0)."""
    settings = get_settings()
    required = settings.redis_min_replicas
    if required <= 0:
        return
    with client.pipeline(transaction=False) as pipe:
        pipe.incr(redis_keys.REPLICATION_MARK)
        pipe.wait(required, settings.redis_replica_timeout_ms)
        acknowledged = pipe.execute()[1]
    if acknowledged < required:
        raise NotReplicated(acknowledged, required)

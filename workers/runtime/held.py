"""The step messages this worker holds: reserved, waiting for a retry countdown, or running.

With late acknowledgement a message stays in the broker's ``unacked`` hash until its step
ends. When a whole worker dies, Redis would hand those messages out again only after the
visibility timeout (an hour by default). So every worker publishes the delivery tags it holds
with its heartbeat, and the reaper puts back on their queues the unacked messages that no live
worker holds (:func:`workers.runtime.reaper.restore_orphans`), within ``DIA3_WORKER_LOST_AFTER``.
"""

from __future__ import annotations

import threading

import redis
from celery import bootsteps, signals

from app import redis_keys

KEY = redis_keys.HELD
UNACKED = "unacked"  # kombu's Redis transport: delivery tag -> message, until acknowledged
UNACKED_INDEX = "unacked_index"  # delivery tag -> time of delivery

_tags: set[str] = set()
_lock = threading.Lock()


@signals.task_received.connect
def _received(request=None, **kwargs) -> None:
    tag = (getattr(request, "delivery_info", None) or {}).get("delivery_tag")
    if tag:
        with _lock:
            _tags.add(str(tag))


def forget_all() -> None:
    with _lock:
        _tags.clear()


class ForgetOnConsumerStart(bootsteps.StartStopStep):
    """A consumer that (re)connects has dropped every message it had not started (Celery
    clears its reserved requests and timers when the connection is lost), so none is held."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, c) -> None:
        forget_all()


def publish(client: redis.Redis, hostname: str, ttl: float) -> int:
    """Write the tags still unacknowledged to ``dia3:held:<hostname>``; returns how many."""
    with _lock:
        tags = list(_tags)
    if tags:
        pipe = client.pipeline(transaction=False)
        for tag in tags:
            pipe.hexists(UNACKED, tag)
        present = pipe.execute()
        gone = [tag for tag, there in zip(tags, present) if not there]
        tags = [tag for tag, there in zip(tags, present) if there]
        with _lock:
            _tags.difference_update(gone)
    key = KEY + hostname
    pipe = client.pipeline(transaction=True)
    pipe.delete(key)
    if tags:
        pipe.sadd(key, *tags)
        pipe.expire(key, max(1, int(ttl)))
    pipe.execute()
    return len(tags)


def held_by(client: redis.Redis, hostnames: list[str]) -> set[str]:
    """Every tag the given (live) workers hold."""
    if not hostnames:
        return set()
    pipe = client.pipeline(transaction=False)
    for name in hostnames:
        pipe.smembers(KEY + name)
    return set().union(*pipe.execute())

"""Celery's Redis result backend without the per-task result subscription.

On every send, Celery's Redis backend subscribes to the task's result channel so that a later
``AsyncResult.get()`` can wait on it: two extra Redis round trips per task, and a wait that
has been seen to hang although the result was stored. DIA3 never waits on Celery results — its
job store is the record — so the subscription is dropped. Results are still stored (chords
count their header results through them).

With Sentinels the same holds for Celery's Sentinel backend (:class:`NoWaitSentinelBackend`).
"""

from __future__ import annotations

from celery.backends.redis import RedisBackend, SentinelBackend

from app.redis_client import is_sentinel, with_password


class NoWaitRedisBackend(RedisBackend):
    def on_task_call(self, producer, task_id):
        return None


class NoWaitSentinelBackend(SentinelBackend):
    def on_task_call(self, producer, task_id):
        return None


def backend_url(redis_url: str) -> str:
    """The ``result_backend`` setting selecting one of these classes for a DIA3 Redis URL."""
    if redis_url.startswith("unix://"):
        return f"{__name__}:NoWaitRedisBackend+socket://" + redis_url[len("unix://"):]
    backend = "NoWaitSentinelBackend" if is_sentinel(redis_url) else "NoWaitRedisBackend"
    return f"{__name__}:{backend}+{with_password(redis_url)}"

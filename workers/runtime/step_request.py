"""Counting the deliveries of a step that took its pool process down.

A step message comes back to its queue for two different reasons: the pool process running
it died (SIGKILL, a segfault, the OOM killer: maybe the message itself is to blame) or the
whole worker was lost (its node went away, a rolling update, a container kill: nothing to
do with the message). Only the first is evidence of a poison message, so the worker's main
process, which sees its child die, counts those per task id; the step fails its job after
``DIA3_MAX_DELIVERIES`` of them. Deliveries lost with their whole worker are bounded only by
``DIA3_MAX_REDELIVERIES``.
"""

from __future__ import annotations

import logging

import redis
from billiard.einfo import ExceptionWithTraceback
from billiard.exceptions import WorkerLostError
from celery.worker import state
from celery.worker.request import Request

from app import redis_keys
from app.redis_client import get_redis

log = logging.getLogger("dia3.engine")

#: a count outlives any redelivery of its message (the visibility timeout is an hour)
CRASH_COUNT_TTL = 7 * 24 * 3600


def record_crash(task_id: str) -> None:
    key = redis_keys.task_crashes(task_id)
    pipe = get_redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, CRASH_COUNT_TTL)
    pipe.execute()


def crashes(task_id: str) -> int:
    """How often a pool process running this message died (0 while Redis cannot say: the
    next delivery asks again)."""
    try:
        return int(get_redis().get(redis_keys.task_crashes(task_id)) or 0)
    except redis.RedisError:
        log.warning("could not read a step's dead pool processes", exc_info=True)
        return 0


class StepRequest(Request):
    """A step's request in the worker's main process: counts the pool-process deaths."""

    def _process_died(self, exc: BaseException) -> bool:
        if isinstance(exc, ExceptionWithTraceback):
            exc = exc.exc
        if state.should_terminate:  # a cold shutdown of this worker, not the message's doing
            return False
        if isinstance(exc, WorkerLostError):
            return True
        # Billiard reports a child's exit as SystemExit before it is gone (Celery treats it as
        # a lost worker too), unless DIA3 revoked or cancelled it.
        return isinstance(exc, (SystemExit, KeyboardInterrupt)) and not (
            getattr(self, "_already_cancelled", False) or getattr(self, "_already_revoked",
                                                                   False))

    def on_failure(self, exc_info, send_failed_event=True, return_ok=False):
        if self._process_died(exc_info.exception):
            try:
                record_crash(self.id)
            except Exception:  # Redis away: this death goes uncounted, the delivery is not lost
                log.warning("could not count a step's dead pool process", exc_info=True)
        return super().on_failure(exc_info, send_failed_event=send_failed_event,
                                  return_ok=return_ok)

"""The ``pipeline`` advance as a Celery task: a thin wrapper of
:func:`app.workflows.pipeline.runner.advance`.

Acknowledged late, so a worker lost mid-advance leaves the message for another; an advance
is safe to repeat. Redis and broker errors and backpressure on a stage's queue are retried
with backoff; beyond that the reaper's nudge of a quiet pipeline takes over.
"""

from __future__ import annotations

import logging

from celery import shared_task

from app.logs import job_id_var
from app.workflows.pipeline import runner
from app.workflows.pipeline import steps as pipeline_steps
from workers.runtime.job_step import TRANSIENT, backoff_seconds

log = logging.getLogger("dia3.pipeline")


@shared_task(name=pipeline_steps.ADVANCE.name, bind=True, acks_late=True, ignore_result=True,
             max_retries=8, soft_time_limit=60, time_limit=90)
def advance(self, job_id: str) -> str:
    token = job_id_var.set(job_id)
    try:
        return runner.advance(job_id)
    except (*runner.RETRIED, *TRANSIENT) as exc:
        if self.request.retries >= self.max_retries:
            log.warning("pipeline advance given up; the reaper sends another",
                        extra={"job": job_id})
            return "deferred"
        raise self.retry(exc=exc, countdown=backoff_seconds(
            self.request.retries, getattr(exc, "retry_after", None))) from None
    finally:
        job_id_var.reset(token)

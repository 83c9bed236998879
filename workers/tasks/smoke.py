"""Steps of the ``smoke`` workflow."""

from __future__ import annotations

import os
import signal

from celery import shared_task

from app.context import job_store
from app.logs import job_id_var
from workers.engine import JobStep
from workers.errors import PermanentError


@shared_task(name="dia3.smoke.add_one", base=JobStep, bind=True, ignore_result=True,
             soft_time_limit=30, time_limit=60)
def add_one(self, value: int, fail_attempts: int = 0, crash: bool = False) -> int:
    if crash:
        os.kill(os.getpid(), signal.SIGKILL)
    if fail_attempts and job_store().get(job_id_var.get()).attempts <= fail_attempts:
        raise PermanentError(f"deliberate failure in attempt ≤ {fail_attempts} "
                             "(diagnostic fault)")
    return value + 1


@shared_task(name="dia3.smoke.finish", base=JobStep, bind=True, ignore_result=True, final=True,
             soft_time_limit=30, time_limit=60)
def finish(self, value: int) -> dict:
    return {"value": value}

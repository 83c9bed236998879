"""Steps of the ``smoke`` workflow."""

from __future__ import annotations

import os
import signal
import time

from celery.exceptions import SoftTimeLimitExceeded

from app.extensions import job_store
from app.logs import job_id_var
from app.workflows.smoke import steps as smoke_steps
from workers.runtime.errors import PermanentError
from workers.runtime.job_step import JobStep, job_task


@job_task(smoke_steps.ADD_ONE, ignore_result=True,
          soft_time_limit=30, time_limit=60)
def add_one(self, value: int, fail_attempts: int = 0, crash: bool = False,
            stall_seconds: float = 0.0, ignore_soft_limit: bool = False) -> int:
    if stall_seconds:
        stall(self, stall_seconds, ignore_soft_limit)
    if crash:
        os.kill(os.getpid(), signal.SIGKILL)
    if fail_attempts and job_store().get(job_id_var.get()).attempts <= fail_attempts:
        raise PermanentError(f"deliberate failure in attempt ≤ {fail_attempts} "
                             "(diagnostic fault)")
    return value + 1


@job_task(smoke_steps.FINISH, ignore_result=True, final=True,
          soft_time_limit=30, time_limit=60)
def finish(self, value: int) -> dict:
    return {"value": value}


def stall(task: JobStep, seconds: float, ignore_soft_limit: bool) -> None:
    """Take ``seconds`` (a diagnostic fault), optionally shrugging off the soft time limit;
    stops early when the job is cancelled."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:  # the soft limit may strike in either call
            task.check_cancelled()
            time.sleep(min(0.2, max(0.0, end - time.monotonic())))
        except SoftTimeLimitExceeded:
            if not ignore_soft_limit:
                raise

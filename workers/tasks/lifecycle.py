"""Job-level tasks that are not analysis steps."""

from __future__ import annotations

from celery import shared_task

from workers.engine import record_failure


@shared_task(name="dia3.job.step_failed", ignore_result=True)
def step_failed(request, exc, traceback):
    """Errback linked to every step: records failures the step itself could not report
    (hard time limit, lost worker process)."""
    kwargs = getattr(request, "kwargs", None) or {}
    record_failure(kwargs.get("job_id"), kwargs.get("step"), exc, step_failed.app)

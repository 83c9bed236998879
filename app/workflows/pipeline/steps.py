"""The step of ``pipeline``: the advance, which starts the stages whose upstream stages
succeeded and ends the pipeline (see :mod:`app.workflows.pipeline.runner`)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from app.workflows.steps import declare

log = logging.getLogger("dia3.pipeline")

ADVANCE = declare("dia3.pipeline.advance", "default")


def advance_signature(app: Any, job_id: str, request_id: str | None = None):
    """A message asking for one advance of pipeline ``job_id``. Each has a task id of its
    own (an advance is sent many times; workers drop task ids revoked with a cancelled
    job), and the job id header, so the reaper sees the pipeline has a message waiting."""
    return app.signature(ADVANCE.name, kwargs={"job_id": job_id},
                         task_id=f"{job_id}-advance-{uuid.uuid4().hex[:12]}",
                         ignore_result=True, queue=ADVANCE.queue,
                         headers={"dia3_request_id": request_id or "", "dia3_job_id": job_id})


def send_advance(job_id: str) -> None:
    """Ask for an advance of pipeline ``job_id``."""
    from app.extensions import celery
    advance_signature(celery(), job_id).apply_async()


def advance_when_child_ends(parent_id: str) -> None:
    """The job store's hook when a child job of ``parent_id`` ended. A message that cannot
    be sent is not the child's failure: the reaper finds the quiet pipeline and sends one."""
    try:
        send_advance(parent_id)
    except Exception:  # noqa: BLE001 - the broker may be away for a moment
        log.warning("pipeline advance not sent", extra={"job": parent_id}, exc_info=True)

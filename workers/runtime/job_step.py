"""The task base class: the one place where job state and progress change.

Every DIA3 step is a :class:`JobStep` task called with ``job_id`` and ``step`` keyword
arguments (added by :class:`app.workflows.registry.Plan`). Before the step body runs, the job
store records the delivery atomically and says whether to run it: a step of a finished or
cancelled job, or a second delivery of a step that already finished (at-least-once delivery
after a worker crash), is ignored. After the body, the step is marked done (once), and the
final step stores the job's result. Failures are recorded with the step and reason by
``on_failure``, which Celery also calls (in the worker's main process) for hard time limits.
"""

from __future__ import annotations

import contextvars
import logging
import os
import random
import time

import redis
from celery import Task, shared_task
from celery.exceptions import Ignore, Retry, SoftTimeLimitExceeded, TimeLimitExceeded

from app import metrics
from app.extensions import job_store
from app.jobs.model import CANCELLED
from app.logs import job_id_var, request_id_var, task_id_var
from app.settings import get_settings
from app.workflows.steps import Step
from app.workflows.task_reprs import repr_options
from workers.runtime import heartbeat, step_request
from workers.runtime.errors import JobCancelled, PermanentError, TransientError

log = logging.getLogger("dia3.engine")

TRANSIENT = (TransientError, redis.ConnectionError, redis.TimeoutError)
#: the step name of the call in progress (its task id does not give it back: a retried or
#: resumed job's task ids end in ``-a<attempt>``)
_step_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("step", default=None)


def backoff_seconds(retries: int, retry_after: float | None = None, base: float = 1.0,
                    cap: float = 120.0) -> float:
    """Exponential backoff with full jitter, never sooner than a server's Retry-After."""
    delay = random.uniform(0, min(cap, base * (2 ** retries)))
    return max(delay, retry_after or 0.0)


def describe_error(exc: BaseException, soft_limit: float | None = None) -> tuple[str, str]:
    if isinstance(exc, SoftTimeLimitExceeded):
        limit = soft_limit or get_settings().task_soft_time_limit
        return "TimeLimitExceeded", f"step exceeded its time limit ({limit:g} s)"
    if isinstance(exc, TimeLimitExceeded):
        limit = exc.args[0] if exc.args else get_settings().task_time_limit
        return "TimeLimitExceeded", (f"step exceeded its hard time limit ({float(limit):g} s) "
                                     "and its process was killed")
    message = str(exc) or exc.__class__.__name__
    return exc.__class__.__name__, message[:2000]


def record_failure(job_id: str | None, step: str | None, exc: BaseException,
                   app=None, soft_limit: float | None = None) -> None:
    """Fail the job of a step (idempotent) and revoke its other steps."""
    if not job_id:
        return
    store = job_store()
    error_type, message = describe_error(exc, soft_limit)
    if store.fail(job_id, error_type=error_type, message=message, step=step):
        job = store.get(job_id)
        metrics.observe_job_end(job.workflow, job.state, job.created_at)
        log.warning("job failed", extra={"step": step, "error_type": error_type,
                                         "reason": message})
        if app is not None and job.tasks:
            app.control.revoke(list(job.tasks.values()))


class JobStep(Task):
    """Base class of every DIA3 step."""

    abstract = True
    #: store the return value in the job store (chord headers); otherwise it is passed on
    keep_output = False
    #: the return value is the job's result
    final = False
    max_retries = 5
    #: job_id/step are added to every call, so Celery must not check arguments on send
    typing = False
    #: counts the deaths of the pool process running a step (poison messages)
    Request = step_request.StepRequest

    def __call__(self, *args, **kwargs):
        job_id = kwargs.pop("job_id")
        step = kwargs.pop("step")
        request = self.request
        scoped = {job_id_var: job_id, task_id_var: request.id, _step_var: step,
                  request_id_var: _header(request, "dia3_request_id") or None}
        tokens = [(var, var.set(value)) for var, value in scoped.items()]
        try:
            return self._run_step(job_id, step, args, kwargs)
        finally:
            for var, token in tokens:
                var.reset(token)

    @property
    def current_step(self) -> str | None:
        """The name of the step being run, as recorded on its job (None outside a call)."""
        return _step_var.get()

    def _run_step(self, job_id: str, step: str, args, kwargs):
        request = self.request
        try:
            start = job_store().step_start(job_id, step, request.id or "",
                                           f"{request.hostname or ''}:{os.getpid()}")
        except TRANSIENT as exc:
            self._retry_transient(exc, job_id, step, kwargs)
        if start.verdict == "done":
            # Delivered again after it finished (its worker died before acknowledging):
            # replay what it passed on, so the chain goes on and the chord counts it.
            log.info("step replayed", extra={"step": step})
            metrics.TASKS.labels(self.name, "replayed").inc()
            return start.memo
        if start.verdict != "run":
            log.info("step skipped", extra={"step": step, "verdict": start.verdict})
            metrics.TASKS.labels(self.name, "skipped").inc()
            raise Ignore()
        if start.starts > 1 and self._poisoned(job_id, step, start.starts):
            raise Ignore()
        log.info("step started", extra={"step": step, "task": self.name,
                                         "delivery": start.starts})
        heartbeat.begin(job_id)
        began = time.perf_counter()
        try:
            out = self.run(*args, **kwargs)
        except JobCancelled:
            metrics.TASKS.labels(self.name, "cancelled").inc()
            log.info("step stopped: job cancelled", extra={"step": step})
            raise Ignore() from None
        except TRANSIENT as exc:
            self._retry_transient(exc, job_id, step, kwargs)
        finally:
            heartbeat.end()
        runtime = time.perf_counter() - began
        try:
            return self._record_done(job_id, step, out, runtime)
        except TRANSIENT as exc:  # Redis went away after the work: do it again later
            self._retry_transient(exc, job_id, step, kwargs)

    def _poisoned(self, job_id: str, step: str, starts: int) -> bool:
        """Fail the job of a step that keeps taking its pool process down (a poison
        message), or that was delivered beyond any bound; True when it did."""
        settings, request = get_settings(), self.request
        died = step_request.crashes(request.id or "")
        if died >= settings.max_deliveries:
            reason = (f"step {step} was delivered {starts} times without finishing; its "
                      f"worker process died {died} times (it may crash its worker)")
        elif starts - (request.retries or 0) > settings.max_redeliveries:
            reason = (f"step {step} was delivered {starts} times without finishing (its "
                      "workers were lost each time)")
        else:
            return False
        record_failure(job_id, step, PermanentError(reason), self.app)
        return True

    def _record_done(self, job_id: str, step: str, out, runtime: float):
        store = job_store()
        metrics.TASK_RUNTIME.labels(self.name).observe(runtime)
        metrics.TASKS.labels(self.name, "succeeded").inc()
        if self.final:
            succeeded, workflow, created_at = store.finish(job_id, step, out, runtime)
            if succeeded:
                metrics.observe_job_end(workflow, "succeeded", created_at)
                log.info("job succeeded", extra={"step": step})
            return None
        passed_on = None if self.keep_output else out
        store.step_done(job_id, step, out, runtime, passed_on=not self.keep_output)
        return passed_on

    def _retry_transient(self, exc: BaseException, job_id: str, step: str, kwargs):
        """Retry the step later with backoff (raises); after ``max_retries`` re-raise."""
        request = self.request
        if request.retries >= self.max_retries:
            raise exc
        metrics.TASK_RETRIES.labels(self.name).inc()
        delay = backoff_seconds(request.retries, getattr(exc, "retry_after", None))
        log.warning("step retrying", extra={"step": step, "delay": round(delay, 2),
                                            "reason": str(exc)[:500]})
        kwargs = {**kwargs, "job_id": job_id, "step": step}
        # a retry is a new message: it needs the reprs again, or Celery would show the content
        raise self.retry(exc=exc, countdown=delay, kwargs=kwargs,
                         **repr_options(request.args or (), kwargs))

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` if the current job was cancelled (call between batches)."""
        job_id = job_id_var.get()
        if job_id and job_store().state(job_id) == CANCELLED:
            raise JobCancelled(job_id)

    def outputs(self) -> dict:
        """Stored outputs of the current job's earlier steps, by step name."""
        return job_store().step_outputs(job_id_var.get())

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if isinstance(exc, (Ignore, Retry)):
            return
        if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)) \
                and _done(kwargs.get("job_id"), kwargs.get("step")):
            # The step's work is recorded; what failed is Celery's bookkeeping after it (its
            # chord counting in the result backend) while Redis was away: a failover or a
            # restart. Its message was not acknowledged, so it is delivered again (the reaper
            # requeues it) and the step replays its output; failing the job would lose work.
            log.warning("step done, its bookkeeping failed: left to redelivery",
                        extra={"step": kwargs.get("step"), "reason": str(exc)[:500]})
            return
        metrics.TASKS.labels(self.name, "failed").inc()
        limits = getattr(self.request, "timelimit", None) or (None, None)  # per call: (hard, soft)
        record_failure(kwargs.get("job_id"), kwargs.get("step"), exc, self.app,
                       limits[1] or self.soft_time_limit)


def _done(job_id: str | None, step: str | None) -> bool:
    """Whether the job store has ``step`` of ``job_id`` done (False when it cannot say)."""
    if not job_id or not step:
        return False
    try:
        return job_store().steps(job_id).get(step, {}).get("state") == "done"
    except redis.RedisError:
        return False


def job_task(step: Step, **options):
    """Register a :class:`JobStep` task under its declared step's name (the one place a
    task's name comes from)."""
    return shared_task(name=step.name, base=JobStep, bind=True, **options)


def _header(request, name: str) -> str | None:
    value = request.get(name) if hasattr(request, "get") else None
    if value is None and isinstance(getattr(request, "headers", None), dict):
        value = request.headers.get(name)
    return value

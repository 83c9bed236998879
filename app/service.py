"""Job operations shared by the REST API, the CLI and the MCP server.

Each function takes the caller's :class:`~app.auth.keys.Principal`, so tenant scoping and role
checks are the same whichever surface a request came through; every change is recorded in the
audit log (:mod:`app.audit`), refused and failed attempts included.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from celery.canvas import Signature
from marshmallow import ValidationError

from app import audit, backpressure, broker, metrics, replication
from app.auth.keys import Principal
from app.errors import Forbidden
from app.extensions import celery as get_celery
from app.extensions import job_store, queue_depths
from app.jobs import events
from app.jobs.model import ACTIVE_STATES, CANCELLED, FAILED, FINAL_STATES, Job
from app.jobs.store import InvalidTransition, JobNotFound, new_job_id
from app.logs import request_id_var
from app.redis_client import get_redis
from app.workflows.prechecks import precheck
from app.workflows.registry import Plan, Workflow, all_workflows, get_workflow

log = logging.getLogger("dia3.service")


def require_write(principal: Principal) -> None:
    if not principal.can_write():
        raise Forbidden(f"role '{principal.role}' may only read")


def find_workflow(workflow_name: str) -> Workflow:
    """The workflow of that name; an unknown name is a validation error on ``workflow``."""
    try:
        return get_workflow(workflow_name)
    except KeyError:
        known = ", ".join(w.name for w in all_workflows())
        raise ValidationError({"workflow": [f"Unknown workflow '{workflow_name}'. "
                                            f"Known: {known}."]}) from None


def load_params(workflow: Workflow, params: Any) -> dict:
    """Validated params; errors are keyed like the request body."""
    if not isinstance(params, dict):
        raise ValidationError({"params": ["Must be an object."]})
    try:
        schema = workflow.schema()
        precheck(schema, params)
        return schema.load(params)
    except ValidationError as exc:
        raise ValidationError({"params": exc.messages}) from None


def body_errors(body: Any) -> dict:
    """What is wrong with the workflow and params of a job body whose other fields are
    wrong too, so that one answer lists every error. The params are only checked: steps
    after loading (staging an ingest job's documents) do not run."""
    if not isinstance(body, dict) or not isinstance(body.get("workflow"), str):
        return {}
    try:
        workflow = find_workflow(body["workflow"])
    except ValidationError as exc:
        return exc.messages  # type: ignore[return-value]
    if not isinstance(body.get("params"), dict):
        return {}
    errors = workflow.schema().validate(body["params"])
    return {"params": errors} if errors else {}


def check_params(workflow_name: str, params: Any) -> None:
    """Raise the ``ValidationError`` a job of these params would get at submission (keyed
    like the request body), without loading them: loading an ingest job's params stages its
    documents, which a schedule does at each of its runs instead."""
    workflow = find_workflow(workflow_name)
    if not isinstance(params, dict):
        raise ValidationError({"params": ["Must be an object."]})
    try:
        schema = workflow.schema()
        precheck(schema, params)
    except ValidationError as exc:
        raise ValidationError({"params": exc.messages}) from None
    errors = schema.validate(params)
    if errors:
        raise ValidationError({"params": errors})


def submit(principal: Principal, workflow_name: str, params: Any,
           idempotency_key: str | None = None, *, schedule_id: str | None = None,
           scheduled_for: float | None = None, parent_id: str | None = None
           ) -> tuple[Job, bool]:
    """Validate, record and enqueue a job; returns (job, created). Audited as ``job.submit``
    on ``job:<id>`` (``workflow:<name>`` when no job came of it). Backpressure is checked
    before the params: validating an ingest job already stages its documents. A schedule's
    job carries its ``schedule_id`` (and the tick it is for, ``scheduled_for``), a
    pipeline's stage its ``parent_id``."""
    origin = {"schedule_id": schedule_id, "parent_id": parent_id}
    detail = {"workflow": workflow_name, **{k: v for k, v in origin.items() if v}}
    with audit.audited("job.submit", principal, f"workflow:{workflow_name}",
                       **detail) as entry:
        job, created = _submit(principal, workflow_name, params, idempotency_key,
                               {**origin, "scheduled_for": scheduled_for})
        entry.target, entry.detail["created"] = f"job:{job.id}", created
        return job, created


@dataclass
class Prepared:
    """A job validated and built but not yet recorded: what submitting it stores (``record``,
    the job store's ``create`` arguments) and sends (``canvas``)."""

    workflow: Workflow
    plan: Plan
    canvas: Signature
    record: dict[str, Any]

    @property
    def job_id(self) -> str:
        return self.plan.job_id


def prepare(principal: Principal, workflow_name: str, params: Any,
            idempotency_key: str | None, origin: dict[str, Any], *,
            pending: Mapping[str, int] | None = None) -> Prepared:
    """Check backpressure (counting the ``pending`` messages, by queue, that a batch is
    about to send), validate the params and build the canvas of one job; raises what its
    submission is refused with. The caller has checked the role."""
    workflow = find_workflow(workflow_name)
    backpressure.admit(queue_depths(), workflow.queue, (pending or {}).get(workflow.queue, 0))
    validated = load_params(workflow, params)
    job_id = new_job_id()
    plan = Plan(job_id=job_id, request_id=request_id_var.get(), app=get_celery(),
                tenant=principal.tenant)
    try:
        canvas = workflow.build(plan, validated)
    except ValidationError as exc:
        raise ValidationError({"params": exc.messages}) from None
    record = dict(job_id=job_id, workflow=workflow.name, tenant=principal.tenant,
                  owner=principal.key_id, params=validated, steps_total=plan.steps_total,
                  tasks=plan.tasks, idempotency_key=idempotency_key,
                  request_id=request_id_var.get(), **origin)
    return Prepared(workflow, plan, canvas, record)


def send(prepared: Prepared) -> None:
    """Send a recorded job's canvas. Nothing half-written: a job that could not be enqueued
    is removed again. Its messages (the first step and Celery's ``task-sent`` event) go in
    one pipelined round trip (:func:`app.broker.publishing`; inside a batch's, with the
    batch's), except from a step (a pipeline's stage): a worker's publishes keep Celery's
    publish retries, which ride out a Redis restart, where a publish batch is sent once."""
    app = get_celery()
    try:
        if app.current_worker_task is not None:
            prepared.canvas.apply_async()
        else:
            with broker.publishing(app):
                prepared.canvas.apply_async()
    except Exception:
        job_store().delete(prepared.job_id)
        raise


def submitted(prepared: Prepared) -> None:
    """Count and log a job whose canvas was sent."""
    metrics.JOBS_SUBMITTED.labels(prepared.workflow.name).inc()
    log.info("job submitted", extra={"job": prepared.job_id, "workflow": prepared.workflow.name,
                                     "steps": prepared.plan.steps_total})


def _submit(principal: Principal, workflow_name: str, params: Any,
            idempotency_key: str | None, origin: dict[str, Any]) -> tuple[Job, bool]:
    require_write(principal)
    prepared = prepare(principal, workflow_name, params, idempotency_key, origin)
    job, created = job_store().create(**prepared.record)
    if created:
        send(prepared)
    # Not acknowledged before replicas have it. When they do not in time (503), the job is
    # kept and runs: a retry with the same idempotency key returns it, acknowledged then.
    replication.confirm(get_redis())
    if created:
        submitted(prepared)
    return job, created


def redispatch(job_id: str, allowed: tuple[str, ...]) -> Job:
    """Send a job's canvas again under new task ids; steps already done replay their
    recorded outputs instead of running, so the job goes on from its unfinished steps."""
    store = job_store()
    job = store.get(job_id, with_params=True)
    plan = Plan(job_id=job_id, request_id=request_id_var.get() or job.request_id,
                app=get_celery(), tenant=job.tenant, attempt=job.attempts + 1)
    canvas = get_workflow(job.workflow).build(plan, job.params or {})
    attempt = store.redo(job_id, allowed, plan.tasks)
    canvas.apply_async()
    log.info("job re-dispatched", extra={"job": job_id, "attempt": attempt})
    return store.get(job_id)


def children(job_id: str, states: tuple[str, ...] | None = None) -> list[Job]:
    """The child jobs of a job (a pipeline's stages), in those states if given."""
    store, found, cursor = job_store(), [], None
    while True:
        page = store.list(None, parent_id=job_id, limit=100, cursor=cursor)
        found += [job for job in page.items if states is None or job.state in states]
        if not (cursor := page.next_cursor):
            return found


def cancel_children(job_id: str) -> None:
    """Cancel the child jobs of a job that are still queued or running."""
    for child in children(job_id, ACTIVE_STATES):
        try:
            _cancel(child)
        except (InvalidTransition, JobNotFound):  # it ended meanwhile
            continue


@audit.audits("job.retry", lambda job_id: f"job:{job_id}")
def retry(principal: Principal, job_id: str) -> Job:
    """Run a failed or cancelled job again from the steps it did not finish; its failed or
    cancelled child jobs first (a pipeline goes on from its failed stage)."""
    require_write(principal)
    before = get(principal, job_id)
    if before.state in (FAILED, CANCELLED):
        for child in children(job_id, (FAILED, CANCELLED)):
            try:
                redispatch(child.id, (FAILED, CANCELLED))
            except (InvalidTransition, JobNotFound):  # retried or deleted meanwhile
                continue
    try:
        job = redispatch(job_id, (FAILED, CANCELLED))
    except ValidationError as exc:  # its params no longer build, e.g. a deleted collection
        raise InvalidTransition(job_id, before.state, f"retried, its params are no longer "
                                                      f"valid: {exc.messages}") from None
    metrics.JOBS_RETRIED.labels(job.workflow).inc()
    return job


def get(principal: Principal, job_id: str, with_params: bool = False) -> Job:
    return job_store().get(job_id, tenant=principal.readable_tenant,
                           with_params=with_params)


def wait(principal: Principal, job_id: str, timeout: float) -> Job:
    """The job once it has ended, or as it is when ``timeout`` seconds have passed. Follows
    the job's event stream (blocking reads that return when an event comes), not polling."""
    job = get(principal, job_id)
    deadline = time.monotonic() + timeout
    after = "0-0"
    while not job.finished and (left := deadline - time.monotonic()) > 0:
        found = events.job_events(job_id, after, block_ms=max(1, int(left * 1000)))
        if found:
            after = found[-1][0]
            if events.is_final(found[-1][1]):
                break
        elif job_store().state(job_id) in (None, *FINAL_STATES):
            break
    return get(principal, job_id)


def steps(principal: Principal, job_id: str) -> dict:
    get(principal, job_id)
    return job_store().steps(job_id)


def result(principal: Principal, job_id: str) -> tuple[Job, Any]:
    job = get(principal, job_id)
    if job.state != "succeeded":
        raise InvalidTransition(job_id, job.state, "read")
    return job, job_store().result(job_id, job)


def list_jobs(principal: Principal, **filters: Any):
    tenant = principal.listed_tenant(filters.pop("all_tenants", False))
    return job_store().list(tenant, **filters)


@audit.audits("job.cancel", lambda job_id: f"job:{job_id}")
def cancel(principal: Principal, job_id: str) -> Job:
    """Cancel an active job, and its child jobs with it (a pipeline's running stages)."""
    require_write(principal)
    job = get(principal, job_id)
    _cancel(job)
    cancel_children(job_id)
    return job_store().get(job_id)


def _cancel(job: Job) -> None:
    job_store().cancel(job.id)
    metrics.observe_job_end(job.workflow, "cancelled", job.created_at)
    if job.tasks:
        # Queued steps are dropped by workers; running steps stop at their next batch.
        get_celery().control.revoke(list(job.tasks.values()))
    log.info("job cancelled", extra={"job": job.id})


@audit.audits("job.delete", lambda job_id: f"job:{job_id}")
def delete(principal: Principal, job_id: str) -> None:
    """Delete a finished job and its result, and its child jobs with theirs (a pipeline's
    stages), children first so that none is left without its parent."""
    require_write(principal)
    job = get(principal, job_id)
    if job.state in ACTIVE_STATES:
        raise InvalidTransition(job_id, job.state, "deleted (cancel it first)")
    _delete_tree(job_id)
    log.info("job deleted", extra={"job": job_id})


def _delete_tree(job_id: str) -> None:
    descendants, pending = [], [job_id]
    while pending:  # every descendant checked before anything is deleted
        for child in children(pending.pop()):
            if child.state in ACTIVE_STATES:  # a stage still running under an ended pipeline
                raise InvalidTransition(child.id, child.state, "deleted (cancel it first)")
            descendants.append(child.id)
            pending.append(child.id)
    for doomed in [*reversed(descendants), job_id]:
        try:
            job_store().delete(doomed)
        except JobNotFound:  # a child deleted on its own meanwhile
            if doomed == job_id:
                raise


__all__ = ["submit", "get", "wait", "result", "list_jobs", "cancel", "delete", "retry",
           "redispatch", "Forbidden", "JobNotFound", "InvalidTransition", "steps", "find_workflow",
           "load_params", "body_errors", "check_params", "require_write", "prepare", "send",
           "submitted", "Prepared", "children", "cancel_children"]

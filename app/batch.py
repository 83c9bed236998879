"""Bulk submission: many jobs in one call, each answered on its own.

One bad item never fails the others: each is loaded, refused or created as a single
submission would be (:func:`app.service.prepare`), and gets the status a single
``POST /jobs`` would have answered. What a batch shares is done once: the role check, the
job records (one pipelined round trip, :meth:`~app.jobs.store.JobStore.create_many`), the
Celery messages (one producer, one pipelined round trip: :func:`app.broker.publishing`) and
the audit entries (one pipelined round trip, one ``job.submit`` entry per item, as single
submissions have).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app import audit, broker, error_table, replication, service
from app.auth.keys import Principal
from app.errors import NotReplicated
from app.extensions import celery as get_celery
from app.extensions import job_store
from app.jobs.model import Job
from app.jobs.store import JobNotFound
from app.redis_client import get_redis

log = logging.getLogger("dia3.service")
CREATED, REPLAYED = 202, 200  # as a single submission answers

#: ``load(index, item)``: one item of the request as a submission body (``workflow``,
#: ``params``, ``idempotency_key``); raises a ValidationError for an invalid one
Loader = Callable[[int, Any], dict[str, Any]]
#: ``budget(n)``: how many of ``n`` items the caller's rate limit allows, and the error the
#: others get (None when all are allowed)
Budget = Callable[[int], tuple[int, BaseException | None]]


@dataclass
class Outcome:
    """What became of one item: a job (``status`` 202 created, 200 an idempotent replay)
    or the error a single submission would have raised."""

    index: int
    job: Job | None = None
    created: bool = False
    error: BaseException | None = None

    @property
    def status(self) -> int:
        if self.error is not None:
            return error_table.status_of(self.error)
        return CREATED if self.created else REPLAYED


def submit_many(principal: Principal, items: Sequence[Any], load: Loader,
                budget: Budget = lambda n: (n, None)) -> list[Outcome]:
    """Validate, record and enqueue each item; one outcome per item, in order. ``budget``
    spends the caller's rate limit on the items; those past it get its refusal (and no
    audit entry: nothing was attempted for them). Raises only for the whole batch:
    Forbidden for a read-only role, a Redis error when the records could not be written,
    AuditUnavailable when jobs were made but their entries were lost."""
    _require_write(principal, len(items))
    allowed, refusal = budget(len(items))
    outcomes = {index: Outcome(index, error=refusal) for index in range(allowed, len(items))}
    items = items[:allowed]
    entries = [_entry(principal, item) for item in items]
    ready: list[tuple[int, service.Prepared]] = []
    pending: Counter[str] = Counter()  # messages this batch is about to send, by queue
    for index, item in enumerate(items):
        try:
            body = load(index, item)
            prepared = service.prepare(principal, body["workflow"], body["params"],
                                       body.get("idempotency_key"), {}, pending=pending)
        except Exception as exc:  # answered for this item alone
            outcomes[index] = Outcome(index, error=exc)
            continue
        pending[prepared.workflow.queue] += 1
        ready.append((index, prepared))
    try:
        records = job_store().create_many([prepared.record for _, prepared in ready])
    except Exception:  # some may have been written: none is sent, so none is kept
        for _, prepared in ready:
            _forget(prepared.job_id)
        raise
    _send(ready, records, outcomes)
    _confirm_replicated(outcomes)
    ordered = [outcomes[index] for index in range(len(outcomes))]
    _audit(entries, ordered[:allowed])
    log.info("batch submitted", extra={
        "jobs": len(ordered), "jobs_created": sum(o.created for o in ordered),
        "jobs_refused": sum(o.error is not None for o in ordered)})
    return ordered


def _confirm_replicated(outcomes: dict[int, Outcome]) -> None:
    """As for a single submission, the batch's jobs are acknowledged only once the required
    replicas have them; if they do not in time, each job's item is a 503 (the jobs are kept
    and run: a retry with the same keys returns them)."""
    try:
        replication.confirm(get_redis())
    except NotReplicated as exc:
        for index, outcome in outcomes.items():
            if outcome.job is not None:
                outcomes[index] = Outcome(index, error=exc)


def _require_write(principal: Principal, size: int) -> None:
    try:
        service.require_write(principal)
    except Exception as exc:
        audit.write_failed(audit.new_entry("job.submit", principal, "batch", jobs=size), exc)
        raise


def _entry(principal: Principal, item: Any) -> audit.Entry:
    name = item.get("workflow") if isinstance(item, dict) else None
    name = name if isinstance(name, str) else "?"
    return audit.new_entry("job.submit", principal, f"workflow:{name}", workflow=name,
                           batch=True)


def _send(ready: list[tuple[int, service.Prepared]], records: list[tuple[Job | None, bool]],
          outcomes: dict[int, Outcome]) -> None:
    """Enqueue the new jobs through one producer, their messages sent in one pipelined
    round trip at the end. If that fails, none of the batch's jobs is known to be sent: each
    is removed again and answered with the error (a message that did arrive finds no job
    and is dropped by the worker)."""
    failed: dict[str, BaseException] = {}  # job id: why its canvas was not sent
    new = [prepared for (_, prepared), (_, created) in zip(ready, records) if created]
    try:
        with broker.publishing(get_celery()):
            for prepared in new:
                try:
                    service.send(prepared)
                except Exception as exc:  # this job's own: it was removed again
                    failed[prepared.job_id] = exc
    except Exception as exc:
        for prepared in new:
            if prepared.job_id not in failed:
                _forget(prepared.job_id)
                failed[prepared.job_id] = exc
    for prepared in new:
        if prepared.job_id not in failed:
            service.submitted(prepared)
    for (index, prepared), (job, created) in zip(ready, records):
        if job is None:  # the job of its idempotency key was deleted meanwhile
            outcomes[index] = Outcome(index, error=JobNotFound(prepared.job_id))
        elif job.id in failed:  # a replay of a job of this batch too
            outcomes[index] = Outcome(index, error=failed[job.id])
        else:
            outcomes[index] = Outcome(index, job=job, created=created)


def _forget(job_id: str) -> None:
    """Remove the record of a job that will not be sent (best effort: Redis may be what
    failed; a record left behind is found by the reaper's lost-job check)."""
    try:
        job_store().delete(job_id)
    except JobNotFound:
        pass  # never written
    except Exception as exc:
        log.warning("unsent job not removed", extra={"job": job_id,
                                                     "reason": type(exc).__name__})


def _audit(entries: list[audit.Entry], outcomes: list[Outcome]) -> None:
    for entry, outcome in zip(entries, outcomes):
        if outcome.error is not None:
            entry.failed(outcome.error)
        else:
            entry.target = f"job:{outcome.job.id}"  # type: ignore[union-attr]
            entry.detail["created"] = outcome.created
    try:
        audit.write_many(entries)
    except audit.AuditUnavailable:
        if any(outcome.error is None for outcome in outcomes):
            raise  # a success is never reported without its entry

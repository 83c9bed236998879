"""Schedule operations for every surface: tenant-scoped, role-checked and audited like the
job operations of :mod:`app.service` (a viewer reads, an analyst or admin changes; an admin
reaches every tenant's schedule by its id).

A schedule's params are checked exactly as a job's at submission (the workflow's schema,
field-level 422 under ``params``) when it is created and whenever it changes, and again by
each run's own submission.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

from marshmallow import ValidationError

from app import audit, service
from app.auth.keys import Principal
from app.extensions import schedule_store
from app.jobs.model import Job
from app.jobs.store import Page
from app.schedules.store import Schedule, new_schedule_id
from app.schedules.timing import cron_problem, zone_problem
from app.settings import get_settings

#: the fields that decide when a schedule fires: changing one starts its ticks afresh
TIMING_FIELDS = ("cron", "interval_seconds", "timezone")


def _timing_errors(schedule: Schedule, now: float) -> dict[str, list[str]]:
    """What is wrong with when the schedule fires, by field."""
    minimum = get_settings().schedule_min_interval
    if (schedule.cron is None) == (schedule.interval_seconds is None):
        message = ["Give either cron or interval_seconds (one of them)."]
        return {"cron": message, "interval_seconds": message}
    problem = zone_problem(schedule.timezone)
    if problem:
        return {"timezone": [problem]}
    if schedule.interval_seconds is not None:
        if schedule.interval_seconds < minimum:
            return {"interval_seconds": [f"Must be at least {minimum} seconds "
                                         "(DIA3_SCHEDULE_MIN_INTERVAL)."]}
        return {}
    problem = cron_problem(schedule.cron or "", schedule.timezone)
    if problem:
        return {"cron": [problem]}
    gap = schedule.timing.shortest_gap(now)
    if gap < minimum:
        return {"cron": [f"Fires {gap:.0f} seconds apart at times; the shortest time between "
                         f"two runs is {minimum} seconds (DIA3_SCHEDULE_MIN_INTERVAL)."]}
    return {}


def _check(schedule: Schedule, now: float) -> None:
    """Raise one ValidationError naming every wrong field (params, workflow, timing)."""
    errors: dict[str, Any] = dict(_timing_errors(schedule, now))
    try:
        service.check_params(schedule.workflow, schedule.params)
    except ValidationError as exc:
        errors.update(exc.messages)  # type: ignore[arg-type]
    if errors:
        raise ValidationError(errors)


def _restart(schedule: Schedule, now: float) -> None:
    """Ticks from now on: an interval counts from this second, a cron expression fires next
    at its first time after now; a disabled schedule has no next tick."""
    schedule.anchor = float(math.floor(now))
    schedule.next_run_at = schedule.timing.next_after(now) if schedule.enabled else None


def create(principal: Principal, body: dict[str, Any]) -> Schedule:
    """A new schedule of the caller's tenant. Audited as ``schedule.create``."""
    with audit.audited("schedule.create", principal, f"workflow:{body.get('workflow')}",
                       workflow=body.get("workflow")) as entry:
        service.require_write(principal)
        now = time.time()
        schedule = Schedule(id=new_schedule_id(), tenant=principal.tenant,
                            owner=principal.key_id, created_at=now, updated_at=now, **body)
        _check(schedule, now)
        _restart(schedule, now)
        schedule_store().save(schedule)
        entry.target = f"schedule:{schedule.id}"
        return schedule


def get(principal: Principal, schedule_id: str) -> Schedule:
    return schedule_store().get(schedule_id, tenant=principal.readable_tenant)


def list_schedules(principal: Principal, limit: int, cursor: str | None,
                   all_tenants: bool = False) -> Page:
    return schedule_store().list(principal.listed_tenant(all_tenants), limit=limit,
                               cursor=cursor)


@audit.audits("schedule.update", lambda schedule_id, changes: f"schedule:{schedule_id}")
def update(principal: Principal, schedule_id: str, changes: dict[str, Any]) -> Schedule:
    """Change any of a schedule's fields (``enabled`` pauses and resumes it). A change of
    its timing, or a resume, starts its ticks afresh from now: a paused schedule does not
    catch up on the ticks of its pause."""
    service.require_write(principal)
    current = get(principal, schedule_id)
    changes = dict(changes)
    if changes.get("cron") is not None:
        changes.setdefault("interval_seconds", None)
    if changes.get("interval_seconds") is not None:
        changes.setdefault("cron", None)
    proposed = Schedule(**{**vars(current), **changes})
    now = time.time()
    _check(proposed, now)
    resumed = proposed.enabled and not current.enabled
    if resumed or any(name in changes for name in TIMING_FIELDS) or not proposed.enabled:
        _restart(proposed, now)
        changes.update(anchor=proposed.anchor, next_run_at=proposed.next_run_at)
    return schedule_store().update(current, changes)


@audit.audits("schedule.delete", lambda schedule_id: f"schedule:{schedule_id}")
def delete(principal: Principal, schedule_id: str) -> None:
    """Delete a schedule; the jobs it made stay (they keep its id)."""
    service.require_write(principal)
    schedule_store().delete(get(principal, schedule_id))


@audit.audits("schedule.run", lambda schedule_id, *_, **__: f"schedule:{schedule_id}")
def run_now(principal: Principal, schedule_id: str, idempotency_key: str | None = None
            ) -> tuple[Job, bool]:
    """Submit the schedule's job now, as the caller, whatever its ticks and its overlap
    rule (an explicit request); the job carries the schedule's id."""
    service.require_write(principal)
    schedule = get(principal, schedule_id)
    # an admin running another tenant's schedule makes the job in that tenant
    caller = replace(principal, tenant=schedule.tenant)
    return service.submit(caller, schedule.workflow, schedule.params, idempotency_key,
                          schedule_id=schedule.id)

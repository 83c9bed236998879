"""Making the jobs of due ticks: what the beat does on every pass.

A tick's job is submitted through the ordinary service path (:func:`app.service.submit`:
validation, backpressure, the audit log) with the idempotency key ``schedule:<id>:<tick>``,
so however often the tick is fired (a beat killed between the submission and moving the
schedule on, two beats by mistake) it makes one job. The schedule is then moved on by
:meth:`~app.schedules.store.ScheduleStore.advance`, which only the first caller of a tick
gets to do. Correctness never depends on the beat's lock: the lock only keeps a second beat
from doing the same work twice.

Per schedule:

- ``overlap=skip``: a tick whose schedule's newest job is still queued or running (and is
  not this tick's own) makes no job (``skipped_overlap``).
- a tick reached more than ``DIA3_SCHEDULE_MISFIRE_GRACE`` seconds after its due time was
  missed (the beat was down): with ``catchup=one`` the ticks missed in a row make one job,
  for the last of them; with ``catchup=none`` they make none (``skipped_missed``).
- a job that is refused for good (its params no longer build, say) fails the tick
  (``errors``, ``last_error``); one refused for now (a 503: backpressure, Redis) leaves the
  tick due, so the next pass tries it again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from app import error_table, metrics, service
from app.auth.keys import Principal
from app.extensions import job_store, schedule_store
from app.jobs.model import ACTIVE_STATES
from app.logs import request_id_var
from app.schedules.store import Schedule, ScheduleNotFound, ScheduleStore
from app.settings import get_settings

log = logging.getLogger("dia3.schedules")


def tick_key(schedule_id: str, tick: float) -> str:
    """The idempotency key of a tick's job."""
    return f"schedule:{schedule_id}:{int(tick)}"


def runs_as(schedule: Schedule) -> Principal:
    """Who a tick's job is submitted by: the key that made the schedule, in its tenant."""
    return Principal(key_id=schedule.owner, role="analyst", tenant=schedule.tenant,
                     name=f"schedule {schedule.id}")


@dataclass
class Fired:
    """What one pass did with a due schedule: ``submitted`` (``job_id``, ``created``),
    ``overlap``, ``missed``, ``error``, ``retry`` (left due) or ``stale`` (nothing due)."""

    outcome: str
    job_id: str | None = None
    created: bool = False


def fire_due(now: float | None = None, store: ScheduleStore | None = None,
             limit: int = 100) -> list[Fired]:
    """Fire every schedule due at ``now``, earliest first."""
    store = store or schedule_store()
    now = time.time() if now is None else now
    return [fire(store, schedule_id, now) for schedule_id in store.due(now, limit)]


def fire(store: ScheduleStore, schedule_id: str, now: float) -> Fired:
    try:
        schedule = store.get(schedule_id)
    except ScheduleNotFound:
        store.drop_due(schedule_id)
        return Fired("stale")
    due = schedule.next_run_at
    if not schedule.enabled or due is None:
        store.drop_due(schedule_id)
        return Fired("stale")
    if due > now:
        return Fired("stale")
    timing, tick, missed, last = schedule.timing, due, 0, due
    if now - due > get_settings().schedule_misfire_grace:
        last = timing.latest_at_or_before(now - get_settings().schedule_misfire_grace)
        missed = timing.count_between(due, last)
        tick = last if schedule.catchup == "one" else None
        missed -= tick is not None
    fired = Fired("missed") if tick is None else _run(schedule, tick)
    if fired.outcome == "retry":
        return fired
    counters = {"skipped_missed": missed} if missed else {}
    counters.update({"submitted": {"runs": 1}, "overlap": {"skipped_overlap": 1},
                     "error": {"errors": 1}}.get(fired.outcome, {}))
    done = {"last_run_at": tick, "last_job_id": fired.job_id} if fired.job_id else {}
    if store.advance(schedule, timing.next_after(last), done, counters):
        _count(schedule, fired, missed, tick)  # once per tick: by whoever moved it on
    return fired


def _run(schedule: Schedule, tick: float) -> Fired:
    key = tick_key(schedule.id, tick)
    if schedule.overlap == "skip" and _previous_active(schedule, key):
        return Fired("overlap")
    token = request_id_var.set(f"schedule-{schedule.id}-{int(tick)}")
    try:
        job, created = service.submit(runs_as(schedule), schedule.workflow, schedule.params,
                                      key, schedule_id=schedule.id, scheduled_for=tick)
    except Exception as exc:  # noqa: BLE001 - the answer decides: try again, or fail the tick
        retry = error_table.status_of(exc) == 503
        log.warning("scheduled job refused", extra={
            "schedule": schedule.id, "tick": tick, "reason": type(exc).__name__,
            "retry": retry})
        schedule_store().note(schedule.id, last_error=f"{type(exc).__name__}: "
                                                      f"{error_table.failure_of(exc).message}")
        return Fired("retry" if retry else "error")
    finally:
        request_id_var.reset(token)
    log.info("scheduled job submitted", extra={"schedule": schedule.id, "tick": tick,
                                               "job": job.id, "new_job": created})
    return Fired("submitted", job.id, created)


def _previous_active(schedule: Schedule, key: str) -> bool:
    """Whether the schedule's newest job is still active (and not this tick's own, which a
    beat killed before it moved the schedule on has already made)."""
    page = job_store().list(schedule.tenant, schedule_id=schedule.id, limit=1)
    return bool(page.items) and page.items[0].state in ACTIVE_STATES and \
        page.items[0].idempotency_key != key


def _count(schedule: Schedule, fired: Fired, missed: int, tick: float | None) -> None:
    if missed:
        metrics.SCHEDULE_SKIPPED.labels("missed").inc(missed)
    if fired.outcome in ("overlap", "error"):
        metrics.SCHEDULE_SKIPPED.labels(fired.outcome).inc()
    if fired.outcome == "submitted" and tick is not None:
        metrics.SCHEDULE_RUNS.labels(schedule.workflow).inc()
        metrics.SCHEDULE_LAG.observe(max(0.0, time.time() - tick))

"""Schedules in Redis: one hash each (params sealed at rest like a job's), a listing index
per tenant, and one sorted set of the enabled schedules by their next tick, which the beat
reads.

A tick is made at most once by :meth:`ScheduleStore.advance`: it moves the schedule's
``next_run_at`` on only if it still is the tick the caller fired (one Lua script), so a
second beat, or a change made meanwhile, never moves it twice or back. (The job of a tick is
made once by its idempotency key, whichever beat submits it: see :mod:`app.schedules.ticks`.)
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import redis

from app import redis_keys as keys
from app.crypto.envelope import Envelope
from app.jobs.store import Page, index_page
from app.schedules.timing import Timing

OVERLAPS = ("skip", "allow")
CATCHUPS = ("none", "one")
COUNTERS = ("runs", "skipped_overlap", "skipped_missed", "errors")
_FLOATS = ("created_at", "updated_at", "anchor", "next_run_at", "last_run_at")
_INTS = ("interval_seconds", *COUNTERS)


class ScheduleNotFound(LookupError):
    pass


@dataclass
class Schedule:
    id: str
    tenant: str
    owner: str
    workflow: str
    params: dict[str, Any]
    timezone: str = "UTC"
    cron: str | None = None
    interval_seconds: int | None = None
    name: str = ""
    enabled: bool = True
    overlap: str = "skip"
    catchup: str = "one"
    created_at: float = 0.0
    updated_at: float = 0.0
    #: intervals count from here (a whole second)
    anchor: float = 0.0
    next_run_at: float | None = None
    #: the last tick that made a job, and that job
    last_run_at: float | None = None
    last_job_id: str | None = None
    last_error: str | None = None
    runs: int = 0
    skipped_overlap: int = 0
    skipped_missed: int = 0
    errors: int = 0
    #: ``next_run_at`` exactly as stored (what :meth:`ScheduleStore.advance` compares)
    due_raw: str = field(default="", repr=False)

    @property
    def timing(self) -> Timing:
        return Timing(self.cron, self.interval_seconds, self.timezone, self.anchor)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("due_raw")
        out.pop("anchor")
        return out


def new_schedule_id() -> str:
    return uuid.uuid4().hex


def _hash_fields(schedule: Schedule) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in fields(Schedule):
        value = getattr(schedule, f.name)
        if f.name in ("params", "due_raw") or value is None:
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, float):
            value = repr(value)
        out[f.name] = str(value)
    return out


# KEYS: the schedule's hash, the due set. ARGV: id, the tick fired (next_run_at as read), the
# next tick ('' for none), fields to set (JSON object), counters to add (JSON object).
# Returns 1 when the schedule was moved on, 0 when it is gone or another caller moved it.
ADVANCE = """
local cur = redis.call('HGET', KEYS[1], 'next_run_at')
if not cur or cur ~= ARGV[2] then return 0 end
for name, value in pairs(cjson.decode(ARGV[4])) do redis.call('HSET', KEYS[1], name, value) end
for name, by in pairs(cjson.decode(ARGV[5])) do redis.call('HINCRBY', KEYS[1], name, by) end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], 'next_run_at')
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
redis.call('HSET', KEYS[1], 'next_run_at', ARGV[3])
if redis.call('HGET', KEYS[1], 'enabled') == '1' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
"""


# KEYS: the schedule's hash, the due set. ARGV: id. Takes the schedule off the due set unless
# it is enabled (again: a resume may have put it back since it was read).
DROP_DUE = """
if redis.call('HGET', KEYS[1], 'enabled') == '1' then return 0 end
return redis.call('ZREM', KEYS[2], ARGV[1])
"""


class ScheduleStore:
    def __init__(self, client: redis.Redis, envelope: Envelope | None = None):
        self.r = client
        self.envelope = envelope or Envelope(client, None)
        self._advance = client.register_script(ADVANCE)
        self._drop_due = client.register_script(DROP_DUE)

    # ---- writing ---------------------------------------------------------------------------
    def save(self, schedule: Schedule) -> Schedule:
        """Write a new or changed schedule whole, with its indexes, in one transaction."""
        pipe = self.r.pipeline(transaction=True)
        key = keys.schedule(schedule.id)
        pipe.delete(key)
        pipe.hset(key, mapping={**_hash_fields(schedule), "params": self.envelope.seal_text(
            json.dumps(schedule.params, separators=(",", ":")), f"schedule:{schedule.id}")})
        for scope in (schedule.tenant, None):
            pipe.zadd(keys.schedule_index(scope), {schedule.id: schedule.created_at})
        if schedule.enabled and schedule.next_run_at is not None:
            pipe.zadd(keys.SCHEDULES_DUE, {schedule.id: schedule.next_run_at})
        else:
            pipe.zrem(keys.SCHEDULES_DUE, schedule.id)
        pipe.execute()
        schedule.due_raw = "" if schedule.next_run_at is None else repr(schedule.next_run_at)
        return schedule

    def update(self, schedule: Schedule, changes: dict[str, Any]) -> Schedule:
        """Apply ``changes`` to the fields of ``schedule`` and store it; the counters and the
        beat's bookkeeping are re-read inside the transaction, so none is lost."""
        def apply(pipe: redis.client.Pipeline) -> Schedule:
            current = self._decode(pipe.hgetall(keys.schedule(schedule.id)))
            if current is None:
                raise ScheduleNotFound(schedule.id)
            for name, value in changes.items():
                setattr(current, name, value)
            current.updated_at = time.time()
            pipe.multi()
            key = keys.schedule(current.id)
            pipe.delete(key)
            pipe.hset(key, mapping={**_hash_fields(current), "params": self.envelope.seal_text(
                json.dumps(current.params, separators=(",", ":")), f"schedule:{current.id}")})
            if current.enabled and current.next_run_at is not None:
                pipe.zadd(keys.SCHEDULES_DUE, {current.id: current.next_run_at})
            else:
                pipe.zrem(keys.SCHEDULES_DUE, current.id)
            return current
        return self.r.transaction(apply, keys.schedule(schedule.id), value_from_callable=True)

    def delete(self, schedule: Schedule) -> None:
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(keys.schedule(schedule.id))
        for scope in (schedule.tenant, None):
            pipe.zrem(keys.schedule_index(scope), schedule.id)
        pipe.zrem(keys.SCHEDULES_DUE, schedule.id)
        pipe.execute()

    def advance(self, schedule: Schedule, next_run_at: float | None,
                fields_: dict[str, Any] | None = None,
                counters: dict[str, int] | None = None) -> bool:
        """Move the schedule from the tick it was read with to ``next_run_at``, setting
        ``fields_`` and adding ``counters``, only if nobody moved it meanwhile."""
        changes = {name: (repr(value) if isinstance(value, float) else str(value))
                   for name, value in (fields_ or {}).items() if value is not None}
        return self._advance(keys=[keys.schedule(schedule.id), keys.SCHEDULES_DUE], args=[
            schedule.id, schedule.due_raw, "" if next_run_at is None else repr(next_run_at),
            json.dumps(changes), json.dumps(counters or {})]) == 1

    def note(self, schedule_id: str, **values: str) -> None:
        """Record something about the schedule that no tick depends on (its last error)."""
        if self.r.exists(keys.schedule(schedule_id)):
            self.r.hset(keys.schedule(schedule_id), mapping=values)

    def drop_due(self, schedule_id: str) -> None:
        """Take a schedule that is gone or disabled off the beat's list."""
        self._drop_due(keys=[keys.schedule(schedule_id), keys.SCHEDULES_DUE], args=[schedule_id])

    # ---- reading ---------------------------------------------------------------------------
    def get(self, schedule_id: str, tenant: str | None = None) -> Schedule:
        """A schedule; another tenant's is reported as not found."""
        schedule = self._decode(self.r.hgetall(keys.schedule(schedule_id)))
        if schedule is None or (tenant is not None and schedule.tenant != tenant):
            raise ScheduleNotFound(schedule_id)
        return schedule

    def _decode(self, data: dict[str, str]) -> Schedule | None:
        if not data:
            return None
        values: dict[str, Any] = {}
        names = {f.name for f in fields(Schedule)} - {"params", "due_raw"}
        for name, raw in data.items():
            if name not in names:
                continue
            if name in _FLOATS:
                values[name] = float(raw)
            elif name in _INTS:
                values[name] = int(raw)
            elif name == "enabled":
                values[name] = raw == "1"
            else:
                values[name] = raw
        params = json.loads(self.envelope.open(data["params"], f"schedule:{data['id']}"))
        return Schedule(**values, params=params, due_raw=data.get("next_run_at", ""))

    def list(self, tenant: str | None, limit: int = 50, cursor: str | None = None) -> Page:
        """Newest first; ``tenant=None``: every tenant's."""
        return index_page(self.r, keys.schedule_index(tenant), limit, cursor,
                          lambda sid: self._decode(self.r.hgetall(keys.schedule(sid))),
                          lambda schedule: schedule.created_at)

    def tenant_ids(self, tenant: str) -> Iterator[str]:
        """Every schedule id of a tenant (a snapshot of its index)."""
        yield from self.r.zrange(keys.schedule_index(tenant), 0, -1)

    def due(self, now: float, limit: int = 100) -> list[str]:
        """Enabled schedules whose next tick is at or before ``now``, earliest first."""
        return self.r.zrangebyscore(keys.SCHEDULES_DUE, "-inf", repr(now), start=0, num=limit)

    def next_due_at(self) -> float | None:
        first = self.r.zrange(keys.SCHEDULES_DUE, 0, 0, withscores=True)
        return first[0][1] if first else None

    def count(self, tenant: str | None) -> int:
        return int(self.r.zcard(keys.schedule_index(tenant)))

    # ---- backup and restore ----------------------------------------------------------------
    def snapshots(self) -> Iterator[dict[str, str]]:
        """Every schedule as stored (params still sealed), for a backup."""
        for schedule_id in self.r.zrange(keys.schedule_index(None), 0, -1):
            stored = self.r.hgetall(keys.schedule(schedule_id))
            if stored:  # not deleted since it was listed
                yield stored

    def restore(self, stored: dict[str, str]) -> None:
        """Write a snapshot back with its indexes; a tick it missed meanwhile is then missed
        like any other (its catchup rule)."""
        pipe = self.r.pipeline(transaction=True)
        sid, created = stored["id"], float(stored["created_at"])
        pipe.delete(keys.schedule(sid))
        pipe.hset(keys.schedule(sid), mapping=stored)
        for scope in (stored["tenant"], None):
            pipe.zadd(keys.schedule_index(scope), {sid: created})
        if stored.get("enabled") == "1" and stored.get("next_run_at"):
            pipe.zadd(keys.SCHEDULES_DUE, {sid: float(stored["next_run_at"])})
        else:
            pipe.zrem(keys.SCHEDULES_DUE, sid)
        pipe.execute()

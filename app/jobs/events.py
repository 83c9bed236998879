"""Reading the job event streams: every state and progress change of a job, in order.

The job store's scripts append each event to two Redis streams in the same script that makes
the change (:mod:`app.jobs.scripts`): the job's own (its last 1000 events, deleted with the
job) and its tenant's (about ``DIA3_EVENTS_RETENTION`` events). An event's stream entry id is
its position: reading "after" an id resumes exactly where a reader stopped, which is what the
SSE endpoints' ``Last-Event-ID`` is. A finished job's own stream expires after
``DIA3_JOB_EVENTS_TTL``; its final event is then rebuilt from the record
(:func:`final_event`). Fields are strings: ``type`` (``job.queued``, ``job.running``,
``job.progress``, ``job.succeeded``, ``job.failed``, ``job.cancelled``, ``job.retried``),
``job_id``, ``workflow``, ``state``, ``at`` (epoch seconds), ``steps_done``, ``steps_total``
and, when they apply, ``step``, ``progress`` (the step's
record as JSON), ``schedule_id``, ``parent_id`` and ``error_type``. Never params, results or
messages.
"""

from __future__ import annotations

import json
import re
from typing import Any

import redis

from app import redis_keys
from app.jobs.model import FINAL_STATES, Job

Event = tuple[str, dict[str, str]]

#: The blocking reads stay under the Redis client's socket timeout (5 s): a caller that waits
#: longer reads again.
MAX_BLOCK_MS = 4000
#: What a stream entry id looks like (``<ms>-<seq>``; ``0-0`` is before the first).
ENTRY_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


def _client() -> redis.Redis:
    from app.redis_client import get_redis
    return get_redis()


def _read(key: str, after: str, block_ms: int, count: int) -> list[Event]:
    block = min(block_ms, MAX_BLOCK_MS) or None  # 0: return at once
    found = _client().xread({key: after}, count=count, block=block)
    return [(entry_id, fields) for _, entries in found for entry_id, fields in entries]


def job_events(job_id: str, after: str = "0-0", block_ms: int = 0, count: int = 100
               ) -> list[Event]:
    """The job's events after ``after`` (from its first with ``0-0``), at most ``count``;
    with ``block_ms``, waits that long (at most :data:`MAX_BLOCK_MS`) for one to come."""
    return _read(redis_keys.job_events(job_id), after, block_ms, count)


def final_event(job: Job) -> Event | None:
    """The final event of a finished job whose own stream has expired
    (``DIA3_JOB_EVENTS_TTL``), rebuilt from its record, with an id at its finish time; None
    for an active job or one whose stream is still there."""
    if job.state not in FINAL_STATES or _client().exists(redis_keys.job_events(job.id)):
        return None
    at = job.finished_at or job.updated_at or job.created_at
    fields = {"type": f"job.{job.state}", "job_id": job.id, "workflow": job.workflow,
              "state": job.state, "at": f"{at:.6f}", "steps_done": str(job.steps_done),
              "steps_total": str(job.steps_total)}
    origin = {"schedule_id": job.schedule_id, "parent_id": job.parent_id,
              "error_type": (job.error or {}).get("type")}
    fields |= {name: str(value) for name, value in origin.items() if value}
    return f"{int(at * 1000)}-0", fields


def tenant_events(tenant: str, after: str = "$", block_ms: int = 0, count: int = 100
                  ) -> list[Event]:
    """Events of every job of ``tenant`` after ``after``; ``$`` means from now on (see
    :func:`tenant_head` for a position to resume from later)."""
    if after == "$":
        after = tenant_head(tenant)
    return _read(redis_keys.tenant_events(tenant), after, block_ms, count)


def tenant_head(tenant: str) -> str:
    """The id of the tenant's latest event (``0-0`` if none): reading after it gets only the
    events to come, and nothing between this call and the read is missed."""
    last = _client().xrevrange(redis_keys.tenant_events(tenant), count=1)
    return last[0][0] if last else "0-0"


def is_final(fields: dict[str, str]) -> bool:
    """Whether the event found its job in a final state (its stream may end there)."""
    return fields.get("state") in FINAL_STATES


#: fields that are numbers, and the one that is JSON, in an event's document
NUMBERS = {"at": float, "steps_done": int, "steps_total": int}


def document(entry_id: str, fields: dict[str, str]) -> dict[str, Any]:
    """An event as the API sends it: its id and fields, numbers as numbers and ``progress``
    as an object."""
    out: dict[str, Any] = {"id": entry_id}
    for name, value in fields.items():
        if name in NUMBERS:
            out[name] = NUMBERS[name](value)
        elif name == "progress":
            out[name] = json.loads(value)
        else:
            out[name] = value
    return out


def drop_tenant(tenant: str) -> int:
    """Delete a tenant's event stream (erasing the tenant; each job's goes with the job)."""
    return int(_client().delete(redis_keys.tenant_events(tenant)))

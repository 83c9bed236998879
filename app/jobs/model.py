"""Job states and the shape of a job record."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued", "running", "succeeded", "failed", "cancelled")
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
ACTIVE_STATES = (QUEUED, RUNNING)
FINAL_STATES = (SUCCEEDED, FAILED, CANCELLED)

# Job hash fields holding JSON rather than plain strings.
JSON_FIELDS = ("error", "result_ref", "tasks", "usage")
INT_FIELDS = ("steps_total", "steps_done", "attempts")
FLOAT_FIELDS = ("created_at", "updated_at", "started_at", "finished_at", "heartbeat_at",
                "scheduled_for")


@dataclass
class Job:
    """A job as stored in Redis; ``params`` (sealed, in the hash or a key of their own, see
    :data:`app.redis_keys.INLINE_MAX`) load on demand."""

    id: str
    workflow: str
    tenant: str
    owner: str
    state: str
    created_at: float
    updated_at: float
    steps_total: int = 0
    steps_done: int = 0
    current_step: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    heartbeat_at: float | None = None
    error: dict[str, Any] | None = None
    attempts: int = 1
    idempotency_key: str | None = None
    result_ref: dict[str, Any] | None = None
    request_id: str | None = None
    tasks: dict[str, str] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    #: the schedule that made the job, and the tick it was made for (None: run on request)
    schedule_id: str | None = None
    scheduled_for: float | None = None
    #: the job whose stage this job is (a pipeline's child job; None: a job of its own)
    parent_id: str | None = None
    params: dict[str, Any] | None = None

    @classmethod
    def from_hash(cls, data: dict[str, str]) -> Job:
        values: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            if name == "params" or name not in data or data[name] == "":  # params: sealed
                continue
            raw = data[name]
            if name in JSON_FIELDS:
                values[name] = json.loads(raw)
            elif name in INT_FIELDS:
                values[name] = int(raw)
            elif name in FLOAT_FIELDS:
                values[name] = float(raw)
            else:
                values[name] = raw
        return cls(**values)

    @property
    def finished(self) -> bool:
        return self.state in FINAL_STATES

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["progress"] = {
            "current_step": self.current_step,
            "done": self.steps_done,
            "total": self.steps_total,
            "fraction": (self.steps_done / self.steps_total) if self.steps_total else 0.0,
        }
        return out

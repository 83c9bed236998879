"""The audit log: who changed what, when, through which request, and whether it worked.

Every mutating action of every surface (REST API, CLI, MCP) goes through the shared service
layer, which records one entry per attempt here: successes, refusals (``denied``, 401/403)
and failures (``error`` with the HTTP status the API answers, e.g. 404, 409, 422, which
:mod:`app.error_table` decides for every surface).

Entries are appended to one Redis stream with ``XADD``; the stream id carries the time, and
old entries are trimmed by age (``DIA3_AUDIT_RETENTION_DAYS``) on each write. Nothing in DIA3
edits or deletes single entries. Entries never hold secrets: an action's detail is chosen by
the caller from non-secret fields (ids, names, roles), and errors are kept as their type only,
never their message.

Failure policy: a success is never reported without its entry. If the entry cannot be written
the action raises :class:`AuditUnavailable` (HTTP 503) even though it took effect; for an
action that already failed, the original error is returned and the lost entry is logged at
ERROR and counted in ``dia3_audit_write_failures_total``.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis

from app import error_table, metrics, redis_keys
from app.auth.keys import Principal
from app.logs import client_var, request_id_var
from app.settings import get_settings

log = logging.getLogger("dia3.audit")
STREAM = redis_keys.AUDIT
OK, DENIED, ERROR = "ok", "denied", "error"
OUTCOMES = (OK, DENIED, ERROR)
SCAN_MAX = 5000  # entries one page may examine; a sparse filter then returns a shorter page
BATCH = 500
STREAM_ID = re.compile(r"^[0-9]+-[0-9]+$")  # ASCII digits only: \d takes any script's

# Actors that are not API keys: an operator using the CLI on DIA3's Redis, retention, and a
# caller whose key was refused.
OPERATOR = Principal(key_id="cli", role="admin", tenant="*", name="operator (dia3 CLI)")
RETENTION = Principal(key_id="retention", role="admin", tenant="*", name="job retention")
ANONYMOUS = Principal(key_id="-", role="none", tenant="-", name="unauthenticated caller")
#: actions that administer DIA3 rather than use it (``dia3_admin_actions_total``)
ADMIN_ACTIONS = ("key.", "tenant.", "system.", "keys.")


class AuditUnavailable(redis.ConnectionError):
    """An audit entry could not be written (the API answers 503)."""


@dataclass
class Entry:
    action: str
    target: str
    actor: str
    tenant: str
    outcome: str = OK
    status: int | None = None
    error: str | None = None
    request_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    #: the client address of the API request (``DIA3_TRUSTED_PROXIES``), None elsewhere
    client: str | None = None
    role: str | None = None

    @property
    def time(self) -> float | None:
        return int(self.id.split("-")[0]) / 1000 if self.id else None

    def failed(self, exc: BaseException) -> None:
        self.outcome, self.status = classify(exc)
        self.error = type(exc).__name__

    def fields(self) -> dict[str, str]:
        """The entry as stream fields (strings only)."""
        return {"action": self.action, "target": self.target, "actor": self.actor,
                "tenant": self.tenant, "outcome": self.outcome,
                "status": "" if self.status is None else str(self.status),
                "error": self.error or "", "request_id": self.request_id or "",
                "client": self.client or "", "role": self.role or "",
                "detail": json.dumps(self.detail, separators=(",", ":"), default=str)}

    @classmethod
    def from_stream(cls, entry_id: str, data: dict[str, str]) -> Entry:
        return cls(action=data["action"], target=data["target"], actor=data["actor"],
                   tenant=data["tenant"], outcome=data["outcome"],
                   status=int(data["status"]) if data.get("status") else None,
                   error=data.get("error") or None, request_id=data.get("request_id") or None,
                   detail=json.loads(data.get("detail") or "{}"), id=entry_id,
                   client=data.get("client") or None, role=data.get("role") or None)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "time": self.time, "actor": self.actor, "tenant": self.tenant,
                "action": self.action, "target": self.target, "outcome": self.outcome,
                "status": self.status, "error": self.error, "request_id": self.request_id,
                "client": self.client, "role": self.role, "detail": self.detail}


def classify(exc: BaseException) -> tuple[str, int]:
    """(outcome, HTTP status) of an action that raised ``exc``, as the API answers it."""
    status = error_table.status_of(exc)
    return (DENIED if status in (401, 403) else ERROR), status


def _client() -> redis.Redis:
    from app.redis_client import get_redis
    return get_redis()


def write(entry: Entry, client: redis.Redis | None = None) -> str:
    """Append ``entry``, trimming entries older than the retention; raises AuditUnavailable."""
    write_many([entry], client)
    return entry.id  # type: ignore[return-value]


def write_many(entries: Sequence[Entry], client: redis.Redis | None = None) -> None:
    """Append ``entries`` in one pipelined round trip (a batch of jobs has one per job), each
    getting its ``id``; raises AuditUnavailable when they could not all be written."""
    days = get_settings().audit_retention_days
    minid = str(int((time.time() - days * 86400) * 1000)) if days > 0 else None
    try:
        pipe = (client or _client()).pipeline(transaction=False)
        for entry in entries:
            pipe.xadd(STREAM, entry.fields(), minid=minid, approximate=True)
        ids = pipe.execute()
    except redis.RedisError as exc:
        metrics.AUDIT_WRITE_FAILURES.inc(len(entries))
        for entry in entries:
            log.error("audit entry not written", extra={"audit": entry.fields(),
                                                        "reason": type(exc).__name__})
        raise AuditUnavailable(f"the audit log (Redis) is unavailable: {exc}") from exc
    for entry, entry_id in zip(entries, ids):
        entry.id = entry_id
        _count(entry)


def _count(entry: Entry) -> None:
    """The security metrics of an entry: refused actions by role, administration by action."""
    if entry.outcome == DENIED and not entry.action.startswith("auth."):
        metrics.DENIED_ACTIONS.labels(entry.role or "none", entry.action).inc()
    if entry.role == "admin" and entry.action.startswith(ADMIN_ACTIONS):
        metrics.ADMIN_ACTIONS.labels(entry.action).inc()


def _entry(action: str, actor: Principal, target: str, detail: dict[str, Any]) -> Entry:
    return Entry(action=action, target=target, actor=actor.key_id, tenant=actor.tenant,
                 request_id=request_id_var.get(), detail=dict(detail),
                 client=client_var.get(), role=actor.role)


def new_entry(action: str, actor: Principal, target: str, **detail: Any) -> Entry:
    """A new ``ok`` entry of the current request, to write later (e.g. with others in
    :func:`write_many`)."""
    return _entry(action, actor, target, detail)


def record(action: str, actor: Principal, target: str, *, outcome: str = OK,
           status: int | None = None, error: str | None = None, **detail: Any) -> Entry:
    """Write one entry now (for actions that are not a single block of code)."""
    entry = _entry(action, actor, target, detail)
    entry.outcome, entry.status, entry.error = outcome, status, error
    write(entry)
    return entry


@contextmanager
def audited(action: str, actor: Principal, target: str, **detail: Any) -> Iterator[Entry]:
    """Audit the block: ``ok`` when it completes, ``denied``/``error`` when it raises (the
    exception propagates). The block may refine ``entry.target`` and ``entry.detail``."""
    entry = _entry(action, actor, target, detail)
    try:
        yield entry
    except Exception as exc:
        write_failed(entry, exc)
        raise
    write(entry)


def write_failed(entry: Entry, exc: BaseException) -> None:
    """Record that the action of ``entry`` raised ``exc``. A lost entry is only logged and
    counted: the caller answers with the action's own error."""
    entry.failed(exc)
    try:
        write(entry)
    except AuditUnavailable:
        pass  # logged and counted by write_many()


def audits(action: str, target: Callable[..., str]) -> Callable:
    """Decorator form for service functions ``fn(principal, *args)``: ``target(*args)``
    names what is acted on, e.g. ``@audits("job.cancel", lambda job_id: f"job:{job_id}")``."""
    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def inner(principal: Principal, *args: Any, **kwargs: Any) -> Any:
            with audited(action, principal, target(*args, **kwargs)):
                return fn(principal, *args, **kwargs)
        return inner
    return wrap


# ---- reading -----------------------------------------------------------------------------
@dataclass
class Page:
    items: list[Entry]
    next_cursor: str | None


def encode_cursor(entry_id: str) -> str:
    return base64.urlsafe_b64encode(entry_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The stream id in a cursor; raises ValueError for anything we did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ValueError("not a valid cursor") from None
    if not STREAM_ID.match(raw):
        raise ValueError("not a valid cursor")
    # Redis takes ids of two unsigned 64-bit parts, and a page goes on below the id: no
    # entry is below 0-0
    parts = [int(part) for part in raw.split("-")]
    if max(parts) >= 2**64 or parts == [0, 0]:
        raise ValueError("not a valid cursor")
    return raw


def query(*, actor: str | None = None, tenant: str | None = None, action: str | None = None,
          target: str | None = None, outcome: str | None = None, since: float | None = None,
          until: float | None = None, limit: int = 50, cursor: str | None = None,
          client: redis.Redis | None = None, scan_max: int = SCAN_MAX) -> Page:
    """Entries newest first matching every given filter (exact values; times in epoch
    seconds, both ends included). A page examines at most ``scan_max`` entries, so with a
    sparse filter it may hold fewer than ``limit`` items but still a ``next_cursor``;
    ``next_cursor`` is None only at the end."""
    client = client or _client()
    wanted = {"actor": actor, "tenant": tenant, "action": action, "target": target,
              "outcome": outcome}
    wanted = {k: v for k, v in wanted.items() if v is not None}
    # rounded to the microsecond first: a time shown by the API must select its own entry
    upper = "+" if until is None else str(math.floor(round(until * 1000, 3)))
    if cursor:
        upper = "(" + decode_cursor(cursor)
    lower = "-" if since is None else str(math.ceil(round(since * 1000, 3)))
    found: list[Entry] = []
    scanned, last, size = 0, None, limit + 1  # unfiltered pages need one read
    while scanned < scan_max:
        batch = client.xrevrange(STREAM, max=upper, min=lower,
                                 count=min(size, scan_max - scanned))
        size = min(size * 2, BATCH)
        if not batch:
            return Page(found, None)
        for entry_id, data in batch:
            scanned, last = scanned + 1, entry_id
            if all(data.get(k) == v for k, v in wanted.items()):
                found.append(Entry.from_stream(entry_id, data))
                if len(found) > limit:
                    return Page(found[:limit], encode_cursor(found[limit - 1].id))
        upper = "(" + last
    return Page(found, encode_cursor(last))  # budget spent: go on from there


def count(client: redis.Redis | None = None) -> int:
    return int((client or _client()).xlen(STREAM))

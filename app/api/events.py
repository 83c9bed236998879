"""Server-Sent Events of job state and progress changes: one job's, or a tenant's.

Each event is sent as ``id: <stream entry id>``, ``event: <type>`` and ``data: <JSON>``
(:func:`app.jobs.events.document`); a client that reconnects with ``Last-Event-ID`` (browsers'
EventSource do it themselves) gets exactly the events after that one. A job's stream ends
after the event that leaves the job in a final state; the tenant's goes on. An idle stream
sends a comment every ``DIA3_EVENTS_HEARTBEAT`` seconds, so proxies keep it open.

Each open stream holds one of the API process's threads (gunicorn's gthread workers: see
:mod:`app.cli.serve`), at most ``DIA3_EVENTS_MAX_STREAMS`` at once beside the threads of
ordinary requests; one more is a 503 with ``Retry-After``. A stream waits in blocking Redis
reads (a few seconds each), so it costs no CPU while nothing happens, and ends soon after
its process is asked to stop (:data:`STOPPING`), for the client to resume on another.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

from flask import Response
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app import service
from app.api.json_body import Blueprint
from app.api.middleware import principal
from app.api.responses import errors
from app.errors import Busy
from app.extensions import job_store, process_local
from app.jobs import events
from app.jobs.model import FINAL_STATES, STATES
from app.settings import get_settings

blp = Blueprint("events", __name__, url_prefix="/api/v1",
                description="Live job events (Server-Sent Events), resumable by Last-Event-ID")

#: set when this API process is asked to stop: open streams end, and clients resume elsewhere
STOPPING = threading.Event()
#: how long an EventSource waits before it reconnects after a stream ended or broke
RECONNECT_MS = 2000
RETRY_AFTER_SECONDS = 5


class ResumeHeadersSchema(Schema):
    last_event_id = fields.String(
        data_key="Last-Event-ID", load_default=None, validate=validate.Regexp(
            events.ENTRY_ID, error="An event id: <milliseconds>-<sequence>, as sent in 'id:'."),
        metadata={"description": "Resume after this event (the last id received)"})


class TenantEventsQuerySchema(Schema):
    workflow = fields.String(validate=validate.Length(min=1, max=100), load_default=None,
                             metadata={"description": "Only events of this workflow's jobs"})
    state = fields.String(validate=validate.OneOf(STATES), load_default=None,
                          metadata={"description": "Only events that leave a job in this "
                                                   "state"})


STREAM = {"content": {"text/event-stream": {"schema": {"type": "string"}}},
          "description": "A stream of events: `id:` (resume with Last-Event-ID), `event:` "
                         "(the type) and `data:` (the event as JSON); comment lines are "
                         "heartbeats"}


def _slots() -> threading.BoundedSemaphore:
    """The process's stream slots (one set per limit, should the setting change)."""
    limit = max(1, get_settings().events_max_streams)
    return process_local(f"event-streams:{limit}", lambda: threading.BoundedSemaphore(limit))


def frame(entry_id: str, fields_: dict[str, str]) -> str:
    data = json.dumps(events.document(entry_id, fields_), separators=(",", ":"))
    return f"id: {entry_id}\nevent: {fields_['type']}\ndata: {data}\n\n"


def follow(read: Callable[[str, int], list[events.Event]], after: str,
           keep: Callable[[dict[str, str]], bool] = lambda fields_: True,
           ended: Callable[[], bool] | None = None) -> Iterator[str]:
    """The SSE text of the events ``read(after, block_ms)`` returns, after ``after``, those
    that ``keep`` accepts. With ``ended`` (its job is final or gone), the stream stops after
    a final event, or when nothing more comes and ``ended()``."""
    heartbeat = max(0.05, get_settings().events_heartbeat)
    yield f"retry: {RECONNECT_MS}\n\n"
    quiet_since = time.monotonic()
    while not STOPPING.is_set():
        wait = heartbeat - (time.monotonic() - quiet_since)
        found = read(after, max(1, int(wait * 1000)))
        for entry_id, fields_ in found:
            after = entry_id
            if keep(fields_):
                quiet_since = time.monotonic()
                yield frame(entry_id, fields_)
        if ended is not None:
            if found and events.is_final(found[-1][1]):
                return
            if not found and ended():
                yield from (frame(*event) for event in read(after, 0))
                return
        if time.monotonic() - quiet_since >= heartbeat:
            quiet_since = time.monotonic()
            yield ": heartbeat\n\n"


def _before(entry_id: str, other: str) -> bool:
    """Stream entry ids in order (``<ms>-<seq>``)."""
    def key(value: str) -> tuple[int, int]:
        ms, _, seq = value.partition("-")
        return int(ms), int(seq or 0)
    return key(entry_id) < key(other)


def stream(body: Iterator[str]) -> Response:
    """The streaming response, holding one of the process's stream slots until it closes."""
    slots = _slots()
    if not slots.acquire(blocking=False):
        raise Busy("This API process serves as many event streams as it may "
                   "(DIA3_EVENTS_MAX_STREAMS); retry shortly or on another replica.",
                   retry_after=RETRY_AFTER_SECONDS)
    response = Response(body, mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    response.call_on_close(slots.release)
    return response


@blp.route("/jobs/<string:job_id>/events")
class JobEvents(MethodView):
    @blp.arguments(ResumeHeadersSchema, location="headers")
    @blp.response(200, description=STREAM["description"])
    @blp.doc(responses={200: STREAM})
    @errors(blp, 404, 422)
    def get(self, headers, job_id):
        """Follow a job: its events from the first (or after Last-Event-ID) until it ends"""
        job = service.get(principal(), job_id)
        store = job_store()

        def ended() -> bool:
            return store.state(job.id) in (None, *FINAL_STATES)

        def read(after: str, block_ms: int) -> list[events.Event]:
            found = events.job_events(job.id, after, block_ms)
            if found or not job.finished:
                return found
            final = events.final_event(job)  # its own stream has expired
            return [final] if final and _before(after, final[0]) else []
        return stream(follow(read, headers["last_event_id"] or "0-0", ended=ended))


@blp.route("/events")
class TenantEvents(MethodView):
    @blp.arguments(TenantEventsQuerySchema, location="query")
    @blp.arguments(ResumeHeadersSchema, location="headers")
    @blp.response(200, description=STREAM["description"])
    @blp.doc(responses={200: STREAM})
    @errors(blp, 422)
    def get(self, query, headers):
        """Follow every job of the tenant: events from now on (or after Last-Event-ID),
        optionally of one workflow or state; the stream does not end"""
        tenant = principal().tenant
        wanted = {name: value for name, value in query.items() if value}

        def keep(fields_: dict[str, str]) -> bool:
            return all(fields_.get(name) == value for name, value in wanted.items())
        after = headers["last_event_id"] or events.tenant_head(tenant)
        return stream(follow(lambda at, block: events.tenant_events(tenant, at, block),
                             after, keep))

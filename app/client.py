"""DIA3's Python client: submit jobs, follow them live, read results, manage collections and
keys, over the REST API (docs/sdk.md). The CLI, the dashboard and the benchmarks use it.

Results are typed: each is a :class:`Resource` (the JSON object as a ``dict``, its fields also
as attributes) of a class naming its fields (:class:`Job`, :class:`Event`, …). Requests
answered ``429`` or ``503`` are tried again after the server's ``Retry-After`` (else with
exponential backoff and jitter), up to ``retries`` times; reads and submissions are also
tried again after a connection error. A submission carries an idempotency key (a new one per
call unless given), so a retried one never makes two jobs. :meth:`DIA3Client.wait` and
:meth:`DIA3Client.events` follow a job's event stream (Server-Sent Events), resuming after
the last event received when a connection breaks.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

FINAL = ("succeeded", "failed", "cancelled")
#: statuses that say "not now": tried again after Retry-After
RETRIED_STATUSES = (429, 503)
#: how long one read of an event stream may take before the client reconnects (the server
#: sends a heartbeat every DIA3_EVENTS_HEARTBEAT seconds, 15 by default)
STREAM_READ_TIMEOUT = 60.0


def segment(value: str) -> str:
    """``value`` as exactly one path segment: a job id from a link or a name someone typed
    cannot reach another route (``../keys``) or add a query."""
    return quote(str(value), safe="")


class APIError(Exception):
    """The API's answer to a request it refused: ``status`` and its error ``body``
    (``{code, status, message, errors}``)."""

    def __init__(self, status: int, body: dict):
        self.status = status
        self.body = body
        super().__init__(f"{status}: {body.get('message', body)}")


# ---- typed results -------------------------------------------------------------------------
class Resource(dict):
    """A JSON object of the API: a ``dict`` (``job["state"]``) whose fields are also
    attributes (``job.state``); the subclasses name the fields their objects have."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Job(Resource):
    """A job (``GET /jobs/<id>``; ``params`` and ``steps`` only in the full record)."""

    id: str
    workflow: str
    tenant: str
    state: str
    progress: dict[str, Any]
    created_at: float
    started_at: float | None
    finished_at: float | None
    error: dict[str, Any] | None
    attempts: int
    tasks: dict[str, str]
    params: dict[str, Any] | None
    steps: dict[str, dict[str, Any]]
    schedule_id: str | None
    #: the pipeline whose stage the job is (docs/pipelines.md)
    parent_id: str | None

    @property
    def finished(self) -> bool:
        return self["state"] in FINAL


class Event(Resource):
    """One state or progress change of a job (docs/api.md, "Live events")."""

    id: str
    type: str
    job_id: str
    workflow: str
    state: str
    at: float
    steps_done: int
    steps_total: int
    step: str
    progress: dict[str, Any]
    error_type: str

    @property
    def final(self) -> bool:
        return self["state"] in FINAL


class Result(Resource):
    """A succeeded job's result."""

    job_id: str
    workflow: str
    result: Any


class BatchItem(Resource):
    """One job of :meth:`DIA3Client.submit_many`: ``status`` as ``POST /jobs`` would have
    answered (202 created, 200 the existing job of its idempotency key) with the ``job``, or
    the ``error`` body (``{code, status, message, errors}``, field paths within the job)."""

    index: int
    status: int
    job: Job
    error: dict[str, Any]

    @property
    def ok(self) -> bool:
        return "job" in self


@dataclass
class Batch:
    """What :meth:`DIA3Client.submit_many` made: one item per job given, in order, and the
    counts of ``created``, ``replayed`` and ``failed`` jobs (``to_dict()``: the API's JSON)."""

    items: list[BatchItem]
    created: int
    replayed: int
    failed: int

    @property
    def jobs(self) -> list[Job]:
        """The jobs made or found, in the order they were given (refused ones left out)."""
        return [item.job for item in self.items if item.ok]

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "created": self.created, "replayed": self.replayed,
                "failed": self.failed}


class Workflow(Resource):
    name: str
    description: str
    queue: str
    params_schema: dict[str, Any]
    examples: list[dict[str, Any]]


class Collection(Resource):
    name: str
    embedder: str
    description: str | None
    document_count: int
    chunk_count: int


class Key(Resource):
    """An API key's description; ``key`` (the secret) only when it was created or rotated."""

    key_id: str
    role: str
    tenant: str
    name: str
    key: str


# ---- the client ----------------------------------------------------------------------------
class DIA3Client:
    """A client of one DIA3 API with one API key."""

    def __init__(self, base_url: str, api_key: str | None, timeout: float = 30.0,
                 retries: int = 4, backoff: float = 0.5, max_wait: float = 30.0):
        """``retries`` tries again after 429, 503 and (reads, submissions) connection
        errors, waiting ``Retry-After`` or ``backoff`` doubling per try, at most
        ``max_wait`` seconds each."""
        from app.settings import get_settings
        self.base = base_url.rstrip("/")
        self.session = requests.Session()
        # an https:// API with a certificate of a private CA (DIA3_API_CA_FILE)
        self.session.verify = get_settings().api_ca_file or True
        if api_key:
            self.session.headers["X-API-Key"] = api_key
        self.timeout = timeout
        self.retries, self.backoff, self.max_wait = retries, backoff, max_wait

    @classmethod
    def from_env(cls, **options: Any) -> DIA3Client:
        """A client of ``DIA3_API_URL`` with ``DIA3_API_KEY`` (as the CLI finds them)."""
        from app.settings import get_settings
        settings = get_settings()
        return cls(settings.client_api_url, settings.api_key or None, **options)

    def clone(self) -> DIA3Client:
        """Another client of the same API with the same key and options, with a session of
        its own (a ``requests`` session is not to be shared by threads)."""
        other = type(self)(self.base, None, self.timeout, self.retries, self.backoff,
                           self.max_wait)
        other.session.headers.update(self.session.headers)
        other.session.verify = self.session.verify
        return other

    # ---- plumbing --------------------------------------------------------------------------
    def _pause(self, attempt: int, response: requests.Response | None) -> float:
        """Seconds to wait before try ``attempt + 1``: the server's Retry-After, else
        exponential backoff with full jitter."""
        hint = response.headers.get("Retry-After") if response is not None else None
        if hint and hint.strip().isdigit():
            return min(float(hint), self.max_wait)
        return min(self.backoff * 2 ** attempt, self.max_wait) * random.uniform(0.5, 1.0)

    def _send(self, method: str, path: str, retries: int | None, reconnect: bool,
              **kwargs: Any) -> requests.Response:
        tries = self.retries if retries is None else retries
        kwargs.setdefault("timeout", self.timeout)
        for attempt in range(tries + 1):
            try:
                response = self.session.request(method, self.base + path, **kwargs)
            except requests.ConnectionError:
                if not reconnect or attempt == tries:
                    raise
                time.sleep(self._pause(attempt, None))
                continue
            if response.status_code not in RETRIED_STATUSES or attempt == tries:
                return response
            response.close()
            time.sleep(self._pause(attempt, response))
        raise AssertionError("unreachable")

    def request(self, method: str, path: str, retries: int | None = None, **kwargs: Any
                ) -> Any:
        """The JSON answer to a request (None for an empty one); an error status raises
        :class:`APIError`. GETs, and requests with an ``Idempotency-Key`` header, are sent
        again after a connection error."""
        reconnect = method == "GET" or "Idempotency-Key" in (kwargs.get("headers") or {})
        response = self._send(method, path, retries, reconnect, **kwargs)
        if response.status_code >= 400:
            raise APIError(response.status_code, _error_body(response))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _pages(self, path: str, kind: type[Resource], query: dict[str, Any]
               ) -> Iterator[Resource]:
        """Every item of a cursor-paginated list, page after page."""
        cursor = None
        while True:
            page = self.request("GET", path, params=_present({**query, "cursor": cursor}))
            yield from (kind(item) for item in page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return

    # ---- workflows and jobs ----------------------------------------------------------------
    def workflows(self) -> list[Workflow]:
        return [Workflow(w) for w in self.request("GET", "/api/v1/workflows")]

    def submit(self, workflow: str, params: dict, idempotency_key: str | None = None) -> Job:
        """Submit a job. It carries ``idempotency_key`` (a new random one when None), so a
        retry of this call, by this client or a proxy, returns the first job; pass your own
        key to make a repeat of the same submission (e.g. after a crash) return it too."""
        key = idempotency_key or f"sdk-{uuid.uuid4().hex}"
        body = {"workflow": workflow, "params": params, "idempotency_key": key}
        return Job(self.request("POST", "/api/v1/jobs", json=body,
                                headers={"Idempotency-Key": key}))

    def submit_many(self, jobs: Iterable[dict], chunk_size: int = 1000) -> Batch:
        """Submit many jobs (each ``{"workflow", "params", "idempotency_key"?}``) with
        ``POST /jobs/batch``, ``chunk_size`` per request (at most the server's
        DIA3_BATCH_MAX_JOBS, 1000 by default). One refused job does not stop the others: each
        has its item. Jobs without a key get a new random one, so a retried request never
        makes two; jobs refused for now (429, 503) are sent again after the answer's
        ``Retry-After``, up to ``retries`` times."""
        keyed = [{**job, "idempotency_key": job.get("idempotency_key")
                  or f"sdk-{uuid.uuid4().hex}"} if isinstance(job, dict) else job
                 for job in jobs]
        items: list[BatchItem | None] = [None] * len(keyed)
        for start in range(0, len(keyed), chunk_size):
            self._submit_chunk(keyed, list(range(start, min(start + chunk_size, len(keyed)))),
                               items)
        done = [item for item in items if item is not None]
        return Batch(items=done, created=sum(item.status == 202 for item in done),
                     replayed=sum(item.status == 200 for item in done),
                     failed=sum(not item.ok for item in done))

    def _submit_chunk(self, jobs: list, indices: list[int], items: list) -> None:
        """Submit ``jobs[i]`` for ``i`` in ``indices`` into ``items[i]``, again for those
        refused for now."""
        for attempt in range(self.retries + 1):
            key = f"sdk-{uuid.uuid4().hex}"  # lets a proxy or this client send it again
            response = self._send("POST", "/api/v1/jobs/batch", None, True,
                                  json={"jobs": [jobs[i] for i in indices]},
                                  headers={"Idempotency-Key": key})
            if response.status_code >= 400:
                raise APIError(response.status_code, _error_body(response))
            later = []
            for item in response.json()["items"]:
                index = indices[item["index"]]
                items[index] = BatchItem({**item, "index": index, **(
                    {"job": Job(item["job"])} if "job" in item else {})})
                if item["status"] in RETRIED_STATUSES:
                    later.append(index)
            if not later or attempt == self.retries:
                return
            indices = later
            time.sleep(self._pause(attempt, response))

    def job(self, job_id: str) -> Job:
        """The job with its params and per-step records."""
        return Job(self.request("GET", f"/api/v1/jobs/{segment(job_id)}"))

    def jobs(self, **query: Any) -> dict:
        """One page of the tenant's jobs (``state``, ``workflow``, ``limit``, ``cursor``,
        ``id_prefix``…): ``{"items": [Job…], "next_cursor": …}``."""
        page = self.request("GET", "/api/v1/jobs", params=_present(query))
        return {**page, "items": [Job(item) for item in page["items"]]}

    def iter_jobs(self, **query: Any) -> Iterator[Job]:
        """Every job that matches ``query``, newest first, page after page."""
        return self._pages("/api/v1/jobs", Job, query)  # type: ignore[return-value]

    def result(self, job_id: str) -> Result:
        return Result(self.request("GET", f"/api/v1/jobs/{segment(job_id)}/result"))

    def cancel(self, job_id: str) -> Job:
        return Job(self.request("POST", f"/api/v1/jobs/{segment(job_id)}/cancel"))

    def retry(self, job_id: str) -> Job:
        return Job(self.request("POST", f"/api/v1/jobs/{segment(job_id)}/retry"))

    def delete(self, job_id: str) -> None:
        self.request("DELETE", f"/api/v1/jobs/{segment(job_id)}")

    # ---- live events -----------------------------------------------------------------------
    def events(self, job_id: str | None = None, *, after: str | None = None,
               workflow: str | None = None, state: str | None = None,
               timeout: float | None = None) -> Iterator[Event]:
        """A job's events from its first (or after the event id ``after``) until it ends;
        without ``job_id``, every job's of the tenant from now on (optionally of one
        ``workflow`` or ``state``), without end. A broken connection is resumed after the
        last event received, so none is lost or repeated; ``timeout`` (seconds) raises
        TimeoutError when the stream has not ended by then."""
        path = f"/api/v1/jobs/{segment(job_id)}/events" if job_id else "/api/v1/events"
        query = {} if job_id else _present({"workflow": workflow, "state": state})
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = STREAM_READ_TIMEOUT if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the event stream of {job_id or 'the tenant'} went on "
                                   f"for more than {timeout} s")
            headers = {"Accept": "text/event-stream", **({"Last-Event-ID": after}
                                                          if after else {})}
            response = self._send("GET", path, None, True, params=query, headers=headers,
                                  stream=True,
                                  timeout=(self.timeout, min(left, STREAM_READ_TIMEOUT)))
            if response.status_code >= 400:
                raise APIError(response.status_code, _error_body(response))
            try:
                with response:
                    for event in _sse(response.iter_lines(decode_unicode=True)):
                        after = event.id
                        yield event
                return  # the server ended the stream: the job ended
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError):
                continue  # broken or silent: resumed after the last event received

    def wait(self, job_id: str, timeout: float = 600.0,
             on_update: Callable[[Job], None] | None = None) -> Job:
        """Follow the job's events until it ends and return it (TimeoutError after
        ``timeout`` seconds). ``on_update`` sees the job as it is now, then after each
        event."""
        job = self.job(job_id)
        if on_update:
            on_update(job)
        if job.finished:
            return job
        for event in self.events(job_id, timeout=timeout):
            job["state"] = event.state
            job["progress"] = {**job["progress"], "done": event.steps_done,
                               "total": event.steps_total}
            if on_update:
                on_update(job)
        return self.job(job_id)

    # ---- knowledge base --------------------------------------------------------------------
    def collections(self) -> list[Collection]:
        return [Collection(c) for c in self.request("GET", "/api/v1/collections")["items"]]

    def collection(self, name: str) -> Collection:
        return Collection(self.request("GET", f"/api/v1/collections/{segment(name)}"))

    def create_collection(self, name: str, embedder: str | None = None,
                          description: str | None = None) -> Collection:
        body = {"name": name, "embedder": embedder, "description": description}
        return Collection(self.request("POST", "/api/v1/collections", json=_present(body)))

    def delete_collection(self, name: str) -> None:
        self.request("DELETE", f"/api/v1/collections/{segment(name)}")

    def documents(self, collection: str, limit: int = 50, offset: int = 0) -> dict:
        """One page of a collection's documents: ``{"items", "total", "limit", "offset"}``."""
        return self.request("GET", f"/api/v1/collections/{segment(collection)}/documents",
                            params={"limit": limit, "offset": offset})

    def iter_documents(self, collection: str, page_size: int = 100) -> Iterator[Resource]:
        """Every document of a collection, page after page."""
        offset = 0
        while True:
            page = self.documents(collection, limit=page_size, offset=offset)
            yield from (Resource(item) for item in page["items"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return

    def add_documents(self, collection: str, documents: list[dict]) -> Job:
        """Add documents given as JSON (``{"text", "title"?, "source"?, "metadata"?}``);
        returns the ingest job."""
        key = f"sdk-{uuid.uuid4().hex}"
        return Job(self.request("POST", f"/api/v1/collections/{segment(collection)}/documents",
                                json={"documents": documents},
                                headers={"Idempotency-Key": key}))

    def upload_documents(self, collection: str, paths: list[Path], title: str | None = None,
                         source: str | None = None, metadata: dict | None = None) -> Job:
        """Multipart upload of files into a collection; returns the ingest job."""
        form = {"title": title, "source": source,
                "metadata": json.dumps(metadata) if metadata else None}
        with ExitStack() as stack:
            files = [("file", (path.name, stack.enter_context(open(path, "rb")),
                               "application/octet-stream")) for path in paths]
            return Job(self.request(
                "POST", f"/api/v1/collections/{segment(collection)}/documents", retries=0,
                files=files, data=_present(form)))

    def search(self, collection: str, query: str, k: int = 5, where: dict | None = None
               ) -> dict:
        """The ``k`` chunks closest in meaning: ``{"collection", "query", "hits"}``."""
        body = {"query": query, "k": k, **({"where": where} if where else {})}
        return self.request("POST", f"/api/v1/collections/{segment(collection)}/search",
                            json=body)

    # ---- API keys (admin) ------------------------------------------------------------------
    def keys(self) -> list[Key]:
        return [Key(k) for k in self.request("GET", "/api/v1/keys")]

    def create_key(self, role: str, tenant: str, name: str = "",
                   expires_in_days: int | None = None) -> Key:
        """A new key; its secret (``key``) is in this answer only."""
        body = {"role": role, "tenant": tenant, "name": name,
                "expires_in_days": expires_in_days}
        return Key(self.request("POST", "/api/v1/keys", json=_present(body)))

    def rotate_key(self, key_id: str) -> Key:
        """A new secret for the key (in this answer only); the old one stops working."""
        return Key(self.request("POST", f"/api/v1/keys/{segment(key_id)}/rotate"))

    def revoke_key(self, key_id: str) -> None:
        self.request("DELETE", f"/api/v1/keys/{segment(key_id)}")

    # ---- schedules, webhooks, pipelines ----------------------------------------------------
    # Each area adds its methods in a section of its own here.
    # ---- schedules --------------------------------------------------------------------------
    def create_schedule(self, workflow: str, params: dict, **fields: Any) -> dict:
        """A new schedule: ``cron`` or ``interval_seconds``, and optionally ``timezone``,
        ``enabled``, ``overlap``, ``catchup`` and ``name`` (None: the server's default)."""
        body = {"workflow": workflow, "params": params,
                **{k: v for k, v in fields.items() if v is not None}}
        return self.request("POST", "/api/v1/schedules", json=body)

    def schedules(self, **query) -> dict:
        return self.request("GET", "/api/v1/schedules",
                            params={k: v for k, v in query.items() if v is not None})

    def schedule(self, schedule_id: str) -> dict:
        return self.request("GET", f"/api/v1/schedules/{segment(schedule_id)}")

    def update_schedule(self, schedule_id: str, **changes: Any) -> dict:
        """Change any field; ``enabled=False`` pauses, ``enabled=True`` resumes."""
        return self.request("PATCH", f"/api/v1/schedules/{segment(schedule_id)}",
                            json=changes)

    def delete_schedule(self, schedule_id: str) -> None:
        self.request("DELETE", f"/api/v1/schedules/{segment(schedule_id)}")

    def run_schedule(self, schedule_id: str) -> dict:
        """Run the schedule's workflow now; returns the job."""
        return self.request("POST", f"/api/v1/schedules/{segment(schedule_id)}/run")

    # ---- webhooks ---------------------------------------------------------------------------
    def create_webhook(self, url: str, events: list[str], description: str | None = None
                       ) -> Resource:
        """A new webhook; its signing secret (``secret``, ``whsec_…``) is in this answer only."""
        body = _present({"url": url, "events": events, "description": description})
        return Resource(self.request("POST", "/api/v1/webhooks", json=body))

    def webhooks(self, **query: Any) -> dict:
        """One page of the tenant's webhooks: ``{"items", "next_cursor"}``."""
        return self.request("GET", "/api/v1/webhooks", params=_present(query))

    def iter_webhooks(self, **query: Any) -> Iterator[Resource]:
        """Every webhook of the tenant, newest first."""
        return self._pages("/api/v1/webhooks", Resource, query)

    def webhook(self, webhook_id: str) -> Resource:
        return Resource(self.request("GET", f"/api/v1/webhooks/{segment(webhook_id)}"))

    def update_webhook(self, webhook_id: str, **changes: Any) -> Resource:
        """Change its ``url``, ``events`` or ``description``."""
        return Resource(self.request("PATCH", f"/api/v1/webhooks/{segment(webhook_id)}",
                                     json=changes))

    def delete_webhook(self, webhook_id: str) -> None:
        self.request("DELETE", f"/api/v1/webhooks/{segment(webhook_id)}")

    def rotate_webhook_secret(self, webhook_id: str) -> Resource:
        """A new secret (in this answer only); the old one signs too for a grace period."""
        return Resource(self.request(
            "POST", f"/api/v1/webhooks/{segment(webhook_id)}/rotate-secret"))

    def iter_deliveries(self, webhook_id: str, **query: Any) -> Iterator[Resource]:
        """Every delivery of a webhook, newest first: state, attempts, last status, next
        attempt."""
        return self._pages(f"/api/v1/webhooks/{segment(webhook_id)}/deliveries", Resource,
                           query)

    def redeliver(self, webhook_id: str, delivery_id: str) -> Resource:
        """Deliver a finished delivery again (same ``webhook-id``)."""
        return Resource(self.request(
            "POST", f"/api/v1/webhooks/{segment(webhook_id)}/deliveries/"
                    f"{segment(delivery_id)}/redeliver"))

    # ---- pipelines --------------------------------------------------------------------------
    def stages(self, job_id: str) -> dict[str, Job]:
        """A pipeline's stages that have started, by name: each one's child job
        (docs/pipelines.md)."""
        names = {step["job_id"]: name for name, step in self.job(job_id).steps.items()
                 if step.get("job_id")}
        return {names[child.id]: child for child in self.iter_jobs(parent_id=job_id)
                if child.id in names}



def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _error_body(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    return body if isinstance(body, dict) else {"message": response.text[:500]}


def _sse(lines: Iterator[str]) -> Iterator[Event]:
    """The events of a Server-Sent Events text (comments, ``retry:`` and frames without data
    are skipped)."""
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield Event(json.loads("\n".join(data)))
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))

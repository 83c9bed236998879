"""The job store: durable job records in Redis, with indexes and cursor pagination.

All state changes are single Lua scripts (see :mod:`app.jobs.scripts`), so a job's state,
its listing indexes and its step bookkeeping always change together, and a redelivered step
can be recognised and ignored. Listing reads sorted-set indexes and never uses ``SCAN``
(only the one-time drop of an older layout's indexes does, :meth:`JobStore.drop_obsolete_indexes`).
"""

from __future__ import annotations

import base64
import json
import math
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from app import redis_keys as keys
from app.crypto.envelope import Envelope
from app.jobs import scripts
from app.jobs.model import ACTIVE_STATES, CANCELLED, FAILED, FINAL_STATES, QUEUED, Job
from app.jobs.results import ResultStore

#: A workflow's clean-up: the Redis keys that go with one of its jobs, from the job's params
DeleteHook = Callable[[dict[str, Any]], Iterable[str]]


class JobNotFound(LookupError):
    pass


class InvalidTransition(Exception):
    """A state change that the job's current state does not allow (HTTP 409)."""

    def __init__(self, job_id: str, current: str, wanted: str):
        super().__init__(f"job {job_id} is {current}; cannot become {wanted}")
        self.current = current


@dataclass
class Page:
    items: list[Job]
    next_cursor: str | None


@dataclass
class StepStart:
    verdict: str  # run | done | stop | missing
    starts: int
    #: for ``done``: the output the step passed on when it finished (replayed)
    memo: Any = None


def new_job_id() -> str:
    return uuid.uuid4().hex


def encode_cursor(score: float, job_id: str) -> str:
    return base64.urlsafe_b64encode(f"{score!r}|{job_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    """Parse a pagination cursor; raises ValueError for anything we did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        score, job_id = raw.split("|", 1)
        value = float(score)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("not a valid cursor") from None
    if not math.isfinite(value):  # scores are creation times; Redis refuses "nan"
        raise ValueError("not a valid cursor")
    return value, job_id


def index_page(client: redis.Redis, key: str, limit: int, cursor: str | None,
               load: Callable[[str], Any], created: Callable[[Any], float]) -> Page:
    """A page of the records of a sorted-set index scored by creation time, newest first:
    ``load`` reads one by id (None when it is gone meanwhile), ``created`` is its score."""
    high, after = "+inf", None
    if cursor:
        score, after = decode_cursor(cursor)
        high = repr(score)
    ids = [rid for rid, score in client.zrevrangebyscore(
        key, high, "-inf", start=0, num=limit + 2, withscores=True)
        if after is None or repr(score) != high or rid < after][:limit + 1]
    found = [item for item in (load(rid) for rid in ids[:limit]) if item is not None]
    next_cursor = (encode_cursor(created(found[-1]), found[-1].id)
                   if len(ids) > limit and found else None)
    return Page(items=found, next_cursor=next_cursor)


def _flat(fields: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, (dict, list)):
            value = json.dumps(value, separators=(",", ":"))
        out += [key, str(value)]
    return out


#: a finished job's step records in its hash: ``step:<name>`` fields
STEP_FIELD = "step:"


def _folded_steps(job: dict[str, str], pop: bool = False) -> dict[str, str]:
    """The step records (by step) folded into a job's hash fields; with ``pop``, taken out."""
    names = [name for name in job if name.startswith(STEP_FIELD)]
    return {name[len(STEP_FIELD):]: job.pop(name) if pop else job[name] for name in names}


def _job_of(flat: list[str]) -> Job:
    """A job from its hash's fields and values, one after the other."""
    return Job.from_hash(dict(zip(flat[::2], flat[1::2])))


def _created(flat: list[str]) -> Job:
    """The job just created from its hash's fields (without reading it back)."""
    return _job_of(flat)


class JobStore:
    def __init__(self, client: redis.Redis, results: ResultStore,
                 delete_hook: Callable[[str], DeleteHook | None] = lambda workflow: None,
                 envelope: Envelope | None = None, events_retention: int = 100_000,
                 child_ended: Callable[[str], None] = lambda parent_id: None,
                 job_events_ttl: int = 3600):
        """``delete_hook`` gives a workflow's clean-up by workflow name (asked only when one
        of its jobs is deleted; the store knows no workflow itself). ``child_ended`` is
        called with the parent's id whenever a job that has one reaches a final state (so
        the parent, a pipeline, advances). ``envelope`` seals
        params and step outputs at rest (the results' own store seals results); the scripts
        only ever move them as opaque strings. Each tenant's event stream keeps about
        ``events_retention`` events; a finished job's own stream is kept ``job_events_ttl``
        seconds."""
        self.r = client
        self.results = results
        self.envelope = envelope or Envelope(client, None)
        self._delete_hook = delete_hook
        self._child_ended = child_ended

        def register(script: str):
            return client.register_script(scripts.configured(script, events_retention,
                                                             job_events_ttl))
        self._submit = register(scripts.SUBMIT)
        self._transition = register(scripts.TRANSITION)
        self._step_start = register(scripts.STEP_START)
        self._step_done = register(scripts.STEP_DONE)
        self._step_progress = register(scripts.STEP_PROGRESS)
        self._finish = register(scripts.FINISH)
        self._heartbeat = register(scripts.HEARTBEAT)
        self._count_resume = register(scripts.COUNT_RESUME)
        self._delete = register(scripts.DELETE)
        self._redo = register(scripts.REDO)
        self._restore = register(scripts.RESTORE)
        self._index_ids = register(scripts.INDEX_IDS)
        self._merged_page = client.register_script(scripts.MERGED_PAGE)
        self._load = client.register_script(scripts.LOAD)
        self._list_page = client.register_script(scripts.LIST_PAGE)

    # ---- creation and reading --------------------------------------------------------------
    def create(self, *, job_id: str, workflow: str, tenant: str, owner: str,
               params: dict[str, Any], steps_total: int, tasks: dict[str, str],
               idempotency_key: str | None = None, request_id: str | None = None,
               schedule_id: str | None = None, scheduled_for: float | None = None,
               parent_id: str | None = None) -> tuple[Job, bool]:
        """Create a queued job; with a known idempotency key return (existing job, False).
        A job of a schedule is listed under it too (``list(schedule_id=)``), a child job
        under its parent (``list(parent_id=)``)."""
        args, flat = self._submission(
            job_id=job_id, workflow=workflow, tenant=tenant, owner=owner, params=params,
            steps_total=steps_total, tasks=tasks, idempotency_key=idempotency_key,
            request_id=request_id, schedule_id=schedule_id, scheduled_for=scheduled_for,
            parent_id=parent_id)
        created, existing_id = self._submit(args=args)
        if created:
            return _created(flat), True
        return self.get(existing_id), False

    def create_many(self, records: Sequence[dict[str, Any]]
                    ) -> list[tuple[Job | None, bool]]:
        """:meth:`create` for many jobs (each record its keyword arguments) in one pipelined
        round trip, in order: a later record with the idempotency key of an earlier one gets
        the earlier job. Replayed jobs are read in one more round trip (None for one deleted
        in between)."""
        if not records:
            return []
        submissions = [self._submission(**record) for record in records]
        pipe = self.r.pipeline(transaction=False)
        for args, _ in submissions:
            self._submit(args=args, client=pipe)
        answers = pipe.execute()
        replayed = [existing for created, existing in answers if not created]
        earlier = dict(zip(replayed, self._load_all(replayed)))
        return [(_created(flat), True) if created else (earlier[existing], False)
                for (created, existing), (_, flat) in zip(answers, submissions)]

    def _submission(self, *, job_id: str, workflow: str, tenant: str, owner: str,
                    params: dict[str, Any], steps_total: int, tasks: dict[str, str],
                    idempotency_key: str | None = None, request_id: str | None = None,
                    schedule_id: str | None = None, scheduled_for: float | None = None,
                    parent_id: str | None = None) -> tuple[list[str], list[str]]:
        """The SUBMIT script's arguments for a new job, and the job hash's fields (flat)."""
        now = time.time()
        fields = {
            "id": job_id, "workflow": workflow, "tenant": tenant, "owner": owner,
            "state": QUEUED, "created_at": repr(now), "updated_at": repr(now),
            "heartbeat_at": repr(now), "steps_total": steps_total, "steps_done": 0,
            "attempts": 1, "idempotency_key": idempotency_key, "request_id": request_id,
            "tasks": tasks, "schedule_id": schedule_id,
            "scheduled_for": None if scheduled_for is None else repr(scheduled_for),
            "parent_id": parent_id,
        }
        flat = _flat(fields)
        args = [keys.PREFIX, job_id, tenant, workflow, repr(now), idempotency_key or "",
                self.envelope.seal_text(json.dumps(params, separators=(",", ":")),
                                        f"params:{job_id}"), *flat]
        return args, flat

    def get(self, job_id: str, tenant: str | None = None, with_params: bool = False) -> Job:
        """Load a job; a job of another tenant is reported as not found."""
        data = self.r.hgetall(keys.job(job_id))
        if not data or (tenant is not None and data.get("tenant") != tenant):
            raise JobNotFound(job_id)
        job = Job.from_hash(data)
        if with_params:
            job.params = self._open_params(job_id, data.get("params")
                                           or self.r.get(keys.job(job_id, "params")))
        return job

    def params(self, job_id: str) -> dict[str, Any]:
        """A job's params: in its hash when short (:data:`keys.INLINE_MAX`), else in a key
        of their own; both are read, in one round trip."""
        pipe = self.r.pipeline(transaction=False)
        pipe.hget(keys.job(job_id), "params")
        pipe.get(keys.job(job_id, "params"))
        inline, own = pipe.execute()
        return self._open_params(job_id, inline or own)

    def _open_params(self, job_id: str, raw: str | None) -> dict[str, Any]:
        return json.loads(self.envelope.open(raw, f"params:{job_id}")) if raw else {}

    def steps(self, job_id: str) -> dict[str, dict[str, Any]]:
        """A job's step records: in a hash of their own, or a finished job's in its hash
        (``step:<name>`` fields, see the scripts' ``fold_steps``), read in one round trip."""
        pipe = self.r.pipeline(transaction=False)
        pipe.hgetall(keys.job(job_id, "steps"))
        pipe.hgetall(keys.job(job_id))
        own, job = pipe.execute()
        raw = _folded_steps(job) | own
        return {step: json.loads(value) for step, value in raw.items()}

    def list(self, tenant: str | None, *, state: str | None = None,
             workflow: str | None = None, limit: int = 50, cursor: str | None = None,
             id_prefix: str | None = None, schedule_id: str | None = None,
             parent_id: str | None = None) -> Page:
        """Newest first; ``tenant=None`` lists every tenant (admin). With ``id_prefix``, only
        the jobs whose id starts with it, in id order (see :meth:`_list_by_id`); with
        ``schedule_id`` or ``parent_id``, the jobs of that schedule or the child jobs of that
        job (their own indexes, see :meth:`_list_origin`)."""
        if id_prefix:
            return self._list_by_id(tenant, id_prefix, state, workflow, limit, cursor)
        if schedule_id:
            return self._list_origin(keys.schedule_jobs(schedule_id), tenant, state, workflow,
                                     limit, cursor)
        if parent_id:
            return self._list_origin(keys.parent_jobs(parent_id), tenant, state, workflow,
                                     limit, cursor)
        high, after = "+inf", ""
        if cursor:
            score, after = decode_cursor(cursor)
            high = repr(score)
        flat = self._list_page(keys=keys.indexes(tenant, state, workflow),
                               args=[keys.PREFIX, high, after, limit + 1, limit])
        scores = dict(zip(flat[::3], flat[1::3]))
        jobs = [_job_of(json.loads(raw)) for raw in flat[2::3][:limit] if raw]
        next_cursor = None
        if len(scores) > limit and jobs:
            next_cursor = encode_cursor(float(scores[jobs[-1].id]), jobs[-1].id)
        return Page(items=jobs, next_cursor=next_cursor)

    def _merged(self, index_keys: list[str], order: str, bound: str, after: str, count: int
                ) -> list[tuple[str, float]]:
        """Up to ``count`` (id, score) of the union of ``index_keys`` past the cursor
        (``bound``, ``after``; see :data:`scripts.MERGED_PAGE`), newest first with ``desc``,
        oldest first with ``asc``: one script, so one consistent read."""
        flat = self._merged_page(keys=index_keys, args=[order, bound, after, count])
        return [(job_id, float(score)) for job_id, score in zip(flat[::2], flat[1::2])]

    def _list_by_id(self, tenant: str | None, prefix: str, state: str | None,
                    workflow: str | None, limit: int, cursor: str | None) -> Page:
        """Jobs whose id starts with ``prefix``: one lexicographic range of the tenant's id
        index (how a short id is resolved), filtered by state and workflow."""
        self._ensure_id_index()
        key = keys.id_index(tenant)
        low = f"({decode_cursor(cursor)[1]}" if cursor else f"[{prefix}"
        high = f"({prefix[:-1]}{chr(ord(prefix[-1]) + 1)}"  # the first id past the prefix
        found: list[Job] = []
        while len(found) <= limit:
            ids = self.r.zrangebylex(key, low, high, start=0, num=limit + 1)
            if not ids:
                break
            low = f"({ids[-1]}"
            found += [job for job in self._load_many(ids)
                      if state in (None, job.state) and workflow in (None, job.workflow)]
        jobs = found[:limit]
        next_cursor = encode_cursor(0.0, jobs[-1].id) if len(found) > limit else None
        return Page(items=jobs, next_cursor=next_cursor)

    def _list_origin(self, key: str, tenant: str | None, state: str | None,
                     workflow: str | None, limit: int, cursor: str | None) -> Page:
        """A schedule's jobs or a parent's child jobs, newest first: one sorted set per
        schedule or parent, so the listing reads only those jobs; filters on tenant, state
        and workflow skip the others of the page."""
        high, after = ("+inf", None)
        if cursor:
            score, after = decode_cursor(cursor)
            high = repr(score)
        found: list[tuple[Job, float]] = []
        offset = 0
        while len(found) <= limit:
            batch = self.r.zrevrangebyscore(key, high, "-inf", start=offset, num=limit + 1,
                                            withscores=True)
            if not batch:
                break
            offset += len(batch)
            batch = [(job_id, score) for job_id, score in batch
                     if after is None or repr(score) != high or job_id < after]
            scores = dict(batch)
            found += [(job, scores[job.id]) for job in self._load_many(j for j, _ in batch)
                      if tenant in (None, job.tenant) and state in (None, job.state)
                      and workflow in (None, job.workflow)]
        page = found[:limit]
        next_cursor = (encode_cursor(page[-1][1], page[-1][0].id)
                       if len(found) > limit else None)
        return Page(items=[job for job, _ in page], next_cursor=next_cursor)

    def drop_obsolete_indexes(self, batch: int = 1000) -> int:
        """Unlink the listing indexes of the older layout (:func:`keys.obsolete_index`:
        every state's and every workflow's, now unions of the state indexes), once per
        Redis; returns how many went. One ``SCAN`` over the index keys; ``UNLINK`` frees
        each in the background, so Redis does not wait for a large one."""
        if self.r.exists(keys.OBSOLETE_INDEXES_DROPPED):
            return 0
        dropped = 0
        for key in self.r.scan_iter(match=keys.INDEX_PATTERN, count=batch):
            if keys.obsolete_index(key):
                dropped += int(self.r.unlink(key))
        self.r.set(keys.OBSOLETE_INDEXES_DROPPED, "1")
        return dropped

    def _ensure_id_index(self, batch: int = 500) -> None:
        """Add the jobs created before the id indexes existed to them, once per Redis."""
        if self.r.exists(keys.ID_INDEX_BUILT):
            return
        after = None
        while page := self.all_ids(after, batch):
            self._index_ids(args=[keys.PREFIX, *(job_id for job_id, _ in page)])
            after = (page[-1][1], page[-1][0])
        self.r.set(keys.ID_INDEX_BUILT, "1")

    def _load_many(self, ids: Iterable[str]) -> list[Job]:
        """The jobs of ``ids`` that exist, in one round trip."""
        return [job for job in self._load_all(ids) if job is not None]

    def _load_all(self, ids: Iterable[str]) -> list[Job | None]:
        """The job of each id (None for a missing one), in one round trip (one script: a
        JSON string per job parses far faster than each field and value on its own)."""
        ids = list(ids)
        if not ids:
            return []
        found = self._load(args=[keys.PREFIX, *ids])
        return [_job_of(json.loads(raw)) if raw else None for raw in found]

    def tenant_ids(self, tenant: str, page: int = 500) -> Iterable[str]:
        """Every job id of one tenant, oldest first, read page by page (each page starts
        after the last job seen, so a job deleted meanwhile shifts nothing)."""
        low, after = "-inf", ""
        while batch := self._merged(keys.indexes(tenant), "asc", low, after, page):
            yield from (job_id for job_id, _ in batch)
            after, score = batch[-1]
            low = repr(score)

    def count(self, tenant: str | None, state: str | None = None) -> int:
        """Jobs of a tenant (``None``: of every tenant), in one state or in all."""
        pipe = self.r.pipeline(transaction=False)
        for key in keys.indexes(tenant, state):
            pipe.zcard(key)
        return sum(int(n) for n in pipe.execute())

    # ---- transitions -----------------------------------------------------------------------
    def transition(self, job_id: str, to: str, allowed: Iterable[str], failed_step: str = "",
                   **fields: Any) -> str:
        """Change state if the current one is in ``allowed``; returns the previous state.
        Failing or cancelling also ends the job's unfinished steps (``failed``, ``stopped``,
        ``not_run``; ``failed_step`` names the running step that failed, ``*`` all of them)."""
        verdict, current, *parent = self._transition(args=[
            keys.PREFIX, job_id, to, repr(time.time()), ",".join(allowed), failed_step,
            *_flat(fields)])
        if verdict == "missing":
            raise JobNotFound(job_id)
        if verdict == "conflict":
            raise InvalidTransition(job_id, current, to)
        if to in FINAL_STATES and current != to and parent and parent[0]:
            self._child_ended(parent[0])
        return current

    def cancel(self, job_id: str) -> str:
        return self.transition(job_id, CANCELLED, ACTIVE_STATES)

    def fail(self, job_id: str, *, error_type: str, message: str, step: str | None,
             steps_lost: bool = False) -> bool:
        """Fail an active job with its reason; False when it had already ended. Its running
        step ``step`` ends ``failed`` (with ``steps_lost``, every running step: their worker
        is gone), other running steps ``stopped``."""
        try:
            self.transition(job_id, FAILED, ACTIVE_STATES, "*" if steps_lost else step or "",
                            error={"type": error_type, "message": message, "step": step})
        except (InvalidTransition, JobNotFound):
            return False
        return True

    def redo(self, job_id: str, allowed: Iterable[str], tasks: dict[str, str]) -> int:
        """Make a job runnable again from its unfinished steps; returns its attempt number."""
        verdict, value = self._redo(args=[
            keys.PREFIX, job_id, repr(time.time()), ",".join(allowed),
            json.dumps(tasks, separators=(",", ":"))])
        if verdict == "missing":
            raise JobNotFound(job_id)
        if verdict == "conflict":
            raise InvalidTransition(job_id, value, "retried")
        return int(value)

    def finish(self, job_id: str, step: str, result: Any, runtime: float
               ) -> tuple[bool, str, float]:
        """The last step's bookkeeping in one round trip after storing the result durably:
        step done, job succeeded. Returns (succeeded now, workflow, created_at)."""
        ref, inline = self.results.prepare(job_id, result)
        ok, workflow, created, before, *parent = self._finish(args=[
            keys.PREFIX, job_id, step, repr(time.time()), repr(runtime),
            json.dumps(ref, separators=(",", ":")), inline or b""])
        if not ok and ref["kind"] == "file" and before != "succeeded":
            self.results.discard(job_id, ref)  # cancelled or failed meanwhile: drop it
        if ok and parent and parent[0]:
            self._child_ended(parent[0])
        return bool(ok), workflow, float(created)

    def result(self, job_id: str, job: Job) -> Any:
        if not job.result_ref:
            raise LookupError(f"job {job_id} has no result")
        return self.results.get(job_id, job.result_ref)

    def delete(self, job_id: str) -> None:
        if self._remove(job_id) is None:
            raise JobNotFound(job_id)

    def purge(self, job_id: str, finished_before: float) -> dict[str, Any] | None:
        """Delete a job only if it finished before ``finished_before`` (checked in the same
        script, so a job that changed meanwhile is kept). Returns its result ref ({} for
        none) when deleted, None when kept."""
        return self._remove(job_id, ",".join(FINAL_STATES), repr(finished_before))

    def _remove(self, job_id: str, *guard: str) -> dict[str, Any] | None:
        deleted, ref = self._delete(keys=self._cleanup_keys(job_id),
                                    args=[keys.PREFIX, job_id, *guard])
        if not deleted:
            return None
        ref = json.loads(ref) if ref else {}
        if ref.get("kind") == "file":  # one in Redis went with the job
            self.results.discard(job_id, ref)
        return ref

    def _cleanup_keys(self, job_id: str) -> list[str]:
        """What the job's workflow deletes with it. Read before the script, which deletes
        them with the job or not at all: params never change once the job is created."""
        workflow = self.r.hget(keys.job(job_id), "workflow")
        hook = self._delete_hook(workflow) if workflow else None
        return list(hook(self.params(job_id))) if hook else []

    def purge_candidates(self, state: str, created_before: float, offset: int, limit: int
                         ) -> list[str]:
        """Ids of ``state`` jobs created before a time (a job finishes after it was created,
        so these include every one that finished before it), oldest first."""
        return self.r.zrangebyscore(keys.index(None, state), "-inf", repr(created_before),
                                    start=offset, num=limit)

    # ---- backup and restore ----------------------------------------------------------------
    def all_ids(self, after: tuple[float, str] | None, limit: int
                ) -> list[tuple[str, float]]:
        """Every tenant's (job id, created_at), oldest first, the page after ``after``.
        Paging by score rather than position, so jobs deleted meanwhile shift nothing."""
        low, skip = ("-inf", "") if after is None else (repr(after[0]), after[1])
        return self._merged(keys.indexes(None), "asc", low, skip, limit)

    def snapshot(self, job_id: str) -> dict[str, Any] | None:
        """A job with everything it owns, read in one transaction (so never half-changed);
        None if it is gone. The inverse of :meth:`restore`."""
        pipe = self.r.pipeline(transaction=True)
        pipe.hgetall(keys.job(job_id))
        pipe.get(keys.job(job_id, "params"))
        for part in ("steps", "out", "memo"):
            pipe.hgetall(keys.job(job_id, part))
        pipe.lrange(keys.job(job_id, "usage"), 0, -1)
        pipe.get(keys.result(job_id))
        job, params, steps, out, memo, usage, result = pipe.execute()
        if not job:
            return None
        # as a backup holds them, wherever they are kept: apart from the job's record
        params = job.pop("params", None) or params
        result = job.pop("result", None) or result
        steps = _folded_steps(job, pop=True) | steps
        return {"hash": job, "params": params, "steps": steps, "out": out, "memo": memo,
                "usage": usage, "result": result}

    def restore(self, job_id: str, snapshot: dict[str, Any]) -> None:
        """Write a snapshot back with its indexes and idempotency key, atomically."""
        self._restore(args=[keys.PREFIX, job_id, json.dumps(snapshot, separators=(",", ":"))])

    # ---- steps (used by the task base class) -----------------------------------------------
    def step_start(self, job_id: str, step: str, task_id: str, worker: str) -> StepStart:
        verdict, starts, memo = self._step_start(args=[
            keys.PREFIX, job_id, step, repr(time.time()), task_id or "", worker or ""])
        return StepStart(verdict, int(starts),
                         json.loads(self._open_step(job_id, step, memo)) if memo else None)

    def step_done(self, job_id: str, step: str, output: Any, runtime: float,
                  passed_on: bool = False) -> bool:
        """Mark a step done once. Its output is kept for later steps (``passed_on=False``)
        or, when the canvas passes it to the next step, as the memo a redelivery replays."""
        body = "" if output is None else self.envelope.seal_text(
            json.dumps(output, separators=(",", ":")), f"step:{job_id}:{step}")
        return self._step_done(args=[keys.PREFIX, job_id, step, repr(time.time()), body,
                                     repr(runtime), "memo" if passed_on else "out"]) == 1

    def step_outputs(self, job_id: str) -> dict[str, Any]:
        raw = self.r.hgetall(keys.job(job_id, "out"))
        return {step: json.loads(self._open_step(job_id, step, value))
                for step, value in raw.items()}

    def _open_step(self, job_id: str, step: str, stored: str) -> bytes:
        return self.envelope.open(stored, f"step:{job_id}:{step}")

    def step_progress(self, job_id: str, step: str, /, **fields: Any) -> bool:
        """Merge progress fields (e.g. ``batches_done``) into a running step's record; a step
        that is no longer running is left alone (False)."""
        return self._step_progress(args=[keys.PREFIX, job_id, step, json.dumps(
            fields, separators=(",", ":"))]) == 1

    def add_usage(self, job_id: str, record: dict[str, Any]) -> None:
        """Record one metered call (LLM tokens and cost) against the job."""
        key = keys.job(job_id, "usage")
        pipe = self.r.pipeline(transaction=False)
        pipe.rpush(key, json.dumps(record, separators=(",", ":")))
        pipe.execute()

    def usage_records(self, job_id: str) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.r.lrange(keys.job(job_id, "usage"), 0, -1)]

    def set_usage(self, job_id: str, summary: dict[str, Any]) -> None:
        self.r.hset(keys.job(job_id), "usage", json.dumps(summary, separators=(",", ":")))

    def heartbeat(self, job_id: str) -> None:
        self._heartbeat(args=[keys.PREFIX, job_id, repr(time.time())])

    def state(self, job_id: str) -> str | None:
        return self.r.hget(keys.job(job_id), "state")

    def stale_active(self, older_than: float, limit: int = 100) -> list[str]:
        """Active jobs whose last heartbeat is older than ``older_than`` (epoch seconds)."""
        return self.r.zrangebyscore(keys.ACTIVE, "-inf", repr(older_than), start=0,
                                    num=limit)

    # ---- recovery (used by the reaper) -----------------------------------------------------
    def mark_alive(self, job_ids: Iterable[str], at: float) -> None:
        """Record a sign of life of active jobs found waiting for a worker, so they are not
        stale again before another timeout (finished jobs are not made active again)."""
        job_ids = list(job_ids)
        if job_ids:
            self.r.zadd(keys.ACTIVE, dict.fromkeys(job_ids, at), xx=True)

    def count_resume(self, job_id: str) -> int | None:
        """Count one more re-dispatch of an active job whose steps were lost; returns how
        many it has had, or None when it is no longer active."""
        return int(self._count_resume(args=[keys.PREFIX, job_id])) or None

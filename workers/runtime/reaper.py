"""The reaper: gets the work of lost workers going again.

It runs in every worker's main process; a Redis lock lets one pass run at a time across the
cluster. Each pass:

1. puts back on their queues, under new delivery tags, the step messages that were delivered
   more than ``DIA3_WORKER_LOST_AFTER`` seconds ago and that no live worker holds (their
   worker died, or lost its connection and dropped them): Redis alone would wait for the
   visibility timeout;
2. finds active jobs without a heartbeat for ``DIA3_JOB_HEARTBEAT_TIMEOUT`` seconds and with
   no step message anywhere (queued, held or waiting for a retry): their progress was lost
   (e.g. a message acknowledged while Redis restarted). Such a job is re-dispatched: finished
   steps replay their recorded outputs and the others run again. A job lost more than
   ``DIA3_MAX_RESUMES`` times is failed with the reason. A job whose workflow supervises
   child jobs instead (a pipeline waiting on its stages) is not lost: its workflow's
   ``supervise`` is called (a pipeline gets a new advance message), so a lost message never
   strands it.

   The queues are searched by a sweep that goes on over as many passes as their depth
   needs: each pass reads at most ``SLICES_PER_PASS`` slices of ``SCAN_SLICE`` messages (one
   short Lua call each, so Redis never waits long), and its cursor is kept in Redis, so any
   worker's next pass goes on from it. A job is declared lost only once a complete sweep
   found no message of it and it showed no sign of life meanwhile (its heartbeat unchanged).
   Messages move while a sweep goes on: new ones are pushed at the head of a list, behind
   the cursor, but the next step of a job is only sent by a step that ran, which is a sign
   of life; a message taken by a worker moves to the unacknowledged hash, searched last; one
   this reaper puts back counts as found. (One a stopping worker puts back meanwhile can be
   missed: its job is then sent again while the message waits, and the job store makes the
   second delivery count once.) A job found waiting is not looked for again for another
   timeout, so a deep backlog costs Redis little.

The same thread applies job retention (:mod:`app.retention`), and drops the listing indexes
of an older layout once after an upgrade (:func:`drop_obsolete_indexes`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid

from app import metrics, redis_keys, retention
from app.broker import QUEUES
from app.extensions import job_store, worker_registry
from app.jobs.model import ACTIVE_STATES
from app.jobs.store import InvalidTransition, JobNotFound
from app.metrics import queue_keys
from app.redis_client import get_redis
from app.settings import get_settings
from app.workflows.registry import get_workflow
from workers.runtime import held

log = logging.getLogger("dia3.reaper")
LOCK = redis_keys.REAPER_LOCK
#: messages one Lua call reads, while Redis waits: about 10 ms per MB, so some 25 ms for
#: smoke step messages of 2.4 kB (benchmarks/reaper_sweep.py)
SCAN_SLICE = 1000
#: slices one pass reads at most; a deeper backlog takes several passes
SLICES_PER_PASS = 10
SWEEP, SWEEP_JOBS, SWEEP_FOUND = (redis_keys.REAPER_SWEEP, redis_keys.REAPER_SWEEP_JOBS,
                                  redis_keys.REAPER_SWEEP_FOUND)

# Messages are kombu JSON envelopes whose headers carry ``dia3_job_id``; ``look`` adds the id
# of each message of a job the sweep looks for (KEYS[1], a hash) to the found set (KEYS[2]).
_LOOK = """
local function look(msg)
  local at = string.find(msg, '"dia3_job_id"', 1, true)
  local id = at and string.match(msg, '^"dia3_job_id":%s*"([^"]+)"', at)
  if id and redis.call('HEXISTS', KEYS[1], id) == 1 then redis.call('SADD', KEYS[2], id) end
end
"""
# One slice of a queue list (KEYS[3]) from ARGV[1] to ARGV[2]; returns the list's length.
_SCAN_SLICE = _LOOK + """
for _, msg in ipairs(redis.call('LRANGE', KEYS[3], ARGV[1], ARGV[2])) do look(msg) end
return redis.call('LLEN', KEYS[3])
"""
# The jobs of ARGV that the sweep looks for (KEYS[1]) are found (KEYS[2]).
_SEEN = """
for _, id in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[1], id) == 1 then redis.call('SADD', KEYS[2], id) end
end
"""
# The unacknowledged hash (KEYS[3]): the messages workers hold, a few per process.
_SCAN_UNACKED = _LOOK + """
for _, msg in ipairs(redis.call('HVALS', KEYS[3])) do look(msg) end
return 0
"""


def restore_orphans(now: float | None = None) -> int:
    """Requeue unacknowledged step messages no live worker holds; returns how many."""
    settings = get_settings()
    client = get_redis()
    now = time.time() if now is None else now
    tags = client.zrangebyscore(held.UNACKED_INDEX, "-inf", repr(now - settings.worker_lost_after))
    if not tags:
        return 0
    holding = held.held_by(client, worker_registry().alive(client))
    orphans = [tag for tag in tags if tag not in holding]
    if not orphans:
        return 0
    from app.extensions import celery as get_celery
    with get_celery().connection_for_write() as conn:
        channel = conn.default_channel
        moved = [requeue_under_new_tag(channel, tag) for tag in orphans]
    seen([job_id for job_id in moved if job_id])
    metrics.MESSAGES_RESTORED.inc(len(orphans))
    log.warning("step messages of lost workers requeued", extra={"count": len(orphans)})
    return len(orphans)


def requeue_under_new_tag(channel, tag: str) -> str | None:
    """Move one unacknowledged message back to its queue with a new delivery tag; returns
    its job's id ("" for a message of no job) when it was still unacknowledged, else None.

    kombu's own ``restore_by_tag`` keeps the tag. If the worker was not dead after all (its
    heartbeats were late, e.g. a busy machine starving its beat thread) it still runs the
    first copy, and that copy's acknowledgement would delete the second copy's unacked
    entry: a worker dying with the second copy would then lose the message for good. Under
    its own tag the second copy stays recoverable, and the job store makes the duplicate
    run count once.
    """
    restored = []

    def move(pipe) -> None:
        restored.clear()  # called again when the hash changed meanwhile
        raw = pipe.hget(held.UNACKED, tag)
        pipe.multi()
        pipe.zrem(held.UNACKED_INDEX, tag)
        pipe.hdel(held.UNACKED, tag)
        if raw:
            message, exchange, routing_key = json.loads(raw)
            message.setdefault("properties", {})["delivery_tag"] = uuid.uuid4().hex
            channel._do_restore_message(message, exchange, routing_key, pipe)
            restored.append(str((message.get("headers") or {}).get("dia3_job_id") or ""))

    with channel.conn_or_acquire() as client:
        client.transaction(move, held.UNACKED)
    return restored[0] if restored else None


def seen(job_ids: list[str]) -> None:
    """Count messages put back at the head of a queue (behind the cursor of the sweep in
    progress) as found by the sweep, when it looks for their jobs."""
    if job_ids:
        get_redis().eval(_SEEN, 2, SWEEP_JOBS, SWEEP_FOUND, *job_ids)


def sweep(now: float) -> list[str] | None:
    """Go on with the lost-job sweep (beginning one for the jobs stale at ``now`` if none
    is in progress); the jobs it found no message and no sign of life of once it is
    complete, None while it goes on."""
    client, store = get_redis(), job_store()
    if not client.exists(SWEEP):
        stale = store.stale_active(now - get_settings().job_heartbeat_timeout)
        if not stale:
            return []
        pipe = client.pipeline(transaction=True)
        pipe.delete(SWEEP_JOBS, SWEEP_FOUND)
        pipe.hset(SWEEP_JOBS, mapping=dict(zip(stale, _heartbeats(stale))))
        pipe.hset(SWEEP, mapping={"list": "", "offset": 0, "began": repr(now)})
        pipe.execute()
    cursor = client.hgetall(SWEEP)
    lists = [key for queue in QUEUES for key in queue_keys(queue)]
    pipe = client.pipeline(transaction=False)
    for key in lists:
        pipe.llen(key)
    lengths = pipe.execute()
    # by name: a worker of another version (a rolling update) may list other queues
    at = cursor.get("list", "")
    index, offset = (lists.index(at), int(cursor["offset"])) if at in lists else (0, 0)
    budget = SLICES_PER_PASS
    while index < len(lists):
        if offset >= lengths[index]:  # this list is done (or empty)
            index, offset = index + 1, 0
            continue
        if not budget:
            break
        lengths[index] = client.eval(_SCAN_SLICE, 3, SWEEP_JOBS, SWEEP_FOUND, lists[index],
                                     offset, offset + SCAN_SLICE - 1)
        offset, budget = offset + SCAN_SLICE, budget - 1
    if index < len(lists):
        client.hset(SWEEP, mapping={"list": lists[index], "offset": offset})
        return None
    client.eval(_SCAN_UNACKED, 3, SWEEP_JOBS, SWEEP_FOUND, held.UNACKED)
    pipe = client.pipeline(transaction=True)
    pipe.hgetall(SWEEP_JOBS)
    pipe.smembers(SWEEP_FOUND)
    pipe.delete(SWEEP, SWEEP_JOBS, SWEEP_FOUND)
    looked_for, found, _ = pipe.execute()
    store.mark_alive(found, now)  # not scanned for again until another timeout has passed
    missing = [job_id for job_id in looked_for if job_id not in found]
    return [job_id for job_id, beat in zip(missing, _heartbeats(missing))
            if beat == looked_for[job_id]]  # no sign of life during the sweep


def _heartbeats(job_ids: list[str]) -> list[str]:
    """Each active job's last heartbeat as stored ("" for one no longer active)."""
    pipe = get_redis().pipeline(transaction=False)
    for job_id in job_ids:
        pipe.zscore(redis_keys.ACTIVE, job_id)
    return ["" if score is None else repr(score) for score in pipe.execute()]


def resume_lost_jobs(now: float | None = None) -> tuple[list[str], list[str]]:
    """Re-dispatch active jobs whose steps are gone; returns (resumed, failed) ids."""
    from app import service
    settings = get_settings()
    store = job_store()
    now = time.time() if now is None else now
    lost = sweep(now)
    if lost is None:  # the sweep goes on at the next pass
        return [], []
    supervised = [job_id for job_id in lost if _supervise(job_id)]
    store.mark_alive(supervised, now)  # not scanned for again until another timeout
    lost = [job_id for job_id in lost if job_id not in supervised]
    resumed, failed = [], []
    for job_id in lost:
        resumes = store.count_resume(job_id)
        if resumes is None:  # finished or deleted meanwhile
            continue
        job = store.get(job_id)
        if resumes > settings.max_resumes:
            if _give_up(job, f"the job's steps were lost {resumes - 1} times (workers died "
                        "or Redis lost them) and were re-dispatched each time; giving up"):
                failed.append(job_id)
            continue
        try:
            service.redispatch(job_id, ACTIVE_STATES)
        except (InvalidTransition, JobNotFound):
            continue
        except Exception as exc:  # e.g. params this version can no longer build
            if _give_up(job, f"the job's steps were lost and it could not be re-dispatched: "
                        f"{exc.__class__.__name__}: {exc}"[:2000]):
                failed.append(job_id)
            continue
        metrics.JOBS_RESUMED.inc()
        log.warning("job re-dispatched: its steps were lost",
                    extra={"job": job_id, "step": job.current_step, "resume": resumes})
        resumed.append(job_id)
    return resumed, failed


def _supervise(job_id: str) -> bool:
    """Nudge a quiet job whose workflow supervises child jobs; False for any other job."""
    try:
        supervise = get_workflow(job_store().get(job_id).workflow).supervise
    except (JobNotFound, KeyError):
        return False
    if supervise is None:
        return False
    try:
        supervise(job_id)
    except Exception:  # noqa: BLE001 - tried again at the next timeout
        log.warning("supervised job not nudged", extra={"job": job_id}, exc_info=True)
    return True


def _give_up(job, message: str) -> bool:
    if not job_store().fail(job.id, error_type="WorkerLost", message=message,
                            step=job.current_step, steps_lost=True):
        return False
    metrics.REAPED.inc()
    metrics.observe_job_end(job.workflow, "failed", job.created_at)
    log.warning("job failed: steps lost", extra={"job": job.id, "reason": message})
    return True


def reap_once(now: float | None = None) -> dict[str, object] | None:
    """One pass, unless another worker's pass holds the lock (then ``None``)."""
    settings = get_settings()
    client = get_redis()
    if not client.set(LOCK, "1", nx=True, px=int(settings.reaper_interval * 900)):
        return None
    restored = restore_orphans(now)
    resumed, failed = resume_lost_jobs(now)
    return {"restored": restored, "resumed": resumed, "failed": failed}


def drop_obsolete_indexes() -> int:
    """The listing indexes an older version kept and this one does not, dropped on the first
    pass after an upgrade (once per Redis; see ``JobStore.drop_obsolete_indexes``)."""
    dropped = job_store().drop_obsolete_indexes()
    if dropped:
        log.info("listing indexes of the older layout dropped", extra={"keys": dropped})
    return dropped


class Reaper(threading.Thread):
    def __init__(self):
        super().__init__(name="dia3-reaper", daemon=True)
        self.stopping = threading.Event()

    def run(self) -> None:
        interval = get_settings().reaper_interval
        while not self.stopping.wait(interval):
            for name, task in (("reaper", reap_once), ("retention", retention.expire_once),
                               ("index upgrade", drop_obsolete_indexes)):
                try:
                    task()
                except Exception:
                    log.warning(f"{name} pass failed", exc_info=True)

    def stop(self) -> None:
        self.stopping.set()

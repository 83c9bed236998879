"""The reaper: gets the work of lost workers going again.

It runs in every worker's main process; a Redis lock lets one pass run at a time across the
cluster. Each pass:

1. puts back on their queues, under new delivery tags, the step messages that were delivered
   more than ``DIA3_WORKER_LOST_AFTER`` seconds ago and that no live worker holds (their
   worker died, or lost its connection and dropped them): Redis alone would wait for the
   visibility timeout;
2. finds active jobs without a heartbeat for ``DIA3_JOB_HEARTBEAT_TIMEOUT`` seconds and with
   no step message anywhere (queued, held or waiting for a retry; one scan of the queues
   per pass, and a job found waiting is not looked for again for another timeout, so a deep
   backlog costs Redis little): their progress was lost
   (e.g. a message acknowledged while Redis restarted). Such a job is re-dispatched: finished
   steps replay their recorded outputs and the others run again. A job lost more than
   ``DIA3_MAX_RESUMES`` times is failed with the reason. A job whose workflow supervises
   child jobs instead (a pipeline waiting on its stages) is not lost: its workflow's
   ``supervise`` is called (a pipeline gets a new advance message), so a lost message never
   strands it.

The same thread applies job retention (:mod:`app.retention`).
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
#: most bytes of waiting messages the lost-job check scans (a Lua script, so Redis waits
#: meanwhile: about 8 ms per MB, measured with 50,000 messages of 1.2 kB)
SCAN_MAX_BYTES = 16 * 1024 * 1024

# Ids of the given jobs that have a step message in one of the lists (queues) or in the
# unacked hash. KEYS: the unacked hash, then queue lists; ARGV: job ids. Messages are kombu
# JSON envelopes whose headers carry ``dia3_job_id``.
_JOBS_WITH_MESSAGES = """
local wanted, found, out = {}, {}, {}
for _, id in ipairs(ARGV) do wanted[id] = true end
local function look(msg)
  local at = string.find(msg, '"dia3_job_id"', 1, true)
  local id = at and string.match(msg, '^"dia3_job_id":%s*"([^"]+)"', at)
  if id and wanted[id] and not found[id] then found[id] = true; out[#out + 1] = id end
end
for _, msg in ipairs(redis.call('HVALS', KEYS[1])) do look(msg) end
for i = 2, #KEYS do
  for _, msg in ipairs(redis.call('LRANGE', KEYS[i], 0, -1)) do look(msg) end
end
return out
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
        for tag in orphans:
            requeue_under_new_tag(channel, tag)
    metrics.MESSAGES_RESTORED.inc(len(orphans))
    log.warning("step messages of lost workers requeued", extra={"count": len(orphans)})
    return len(orphans)


def requeue_under_new_tag(channel, tag: str) -> bool:
    """Move one unacknowledged message back to its queue with a new delivery tag; returns
    whether it was still unacknowledged.

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
            restored.append(tag)

    with channel.conn_or_acquire() as client:
        client.transaction(move, held.UNACKED)
    return bool(restored)


def jobs_with_messages(job_ids: list[str]) -> set[str] | None:
    """The given jobs that have a step message queued or unacknowledged; ``None`` when the
    waiting messages are more than SCAN_MAX_BYTES, so the scan (which blocks Redis) is
    skipped: behind a backlog that deep, stale jobs are most likely waiting in it."""
    if not job_ids:
        return set()
    client = get_redis()
    keys = [held.UNACKED] + [key for queue in QUEUES for key in queue_keys(queue)]
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key, samples=5)  # an estimate from 5 elements: cheap
    if sum(size or 0 for size in pipe.execute()) > SCAN_MAX_BYTES:
        return None
    return set(client.eval(_JOBS_WITH_MESSAGES, len(keys), *keys, *job_ids))


def resume_lost_jobs(now: float | None = None) -> tuple[list[str], list[str]]:
    """Re-dispatch active jobs whose steps are gone; returns (resumed, failed) ids."""
    from app import service
    settings = get_settings()
    store = job_store()
    now = time.time() if now is None else now
    stale = store.stale_active(now - settings.job_heartbeat_timeout)
    waiting = jobs_with_messages(stale)
    if waiting is None:
        log.info("lost-job check skipped: deep backlog", extra={"stale": len(stale)})
        return [], []
    lost = [job_id for job_id in stale if job_id not in waiting]
    supervised = [job_id for job_id in lost if _supervise(job_id)]
    # not scanned for again until another timeout has passed
    store.mark_alive([*waiting, *supervised], now)
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


class Reaper(threading.Thread):
    def __init__(self):
        super().__init__(name="dia3-reaper", daemon=True)
        self.stopping = threading.Event()

    def run(self) -> None:
        interval = get_settings().reaper_interval
        while not self.stopping.wait(interval):
            for name, task in (("reaper", reap_once), ("retention", retention.expire_once)):
                try:
                    task()
                except Exception:
                    log.warning(f"{name} pass failed", exc_info=True)

    def stop(self) -> None:
        self.stopping.set()

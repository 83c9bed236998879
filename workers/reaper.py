"""The reaper: fails jobs whose steps vanished (no heartbeat within the deadline).

It runs in every worker's main process, but a Redis lock lets only one pass run at a time
across the cluster. A job is reaped only if its heartbeat is stale *and* no queue has a
backlog its next step could be waiting in, so a busy cluster does not fail healthy jobs.
The same thread applies job retention (:mod:`app.retention`).
"""

from __future__ import annotations

import logging
import threading
import time

from app import metrics, retention
from app.context import job_store
from app.jobs.model import RUNNING
from app.metrics import queue_keys
from app.redis_client import get_redis
from app.settings import get_settings
from workers.config import QUEUES

log = logging.getLogger("dia3.reaper")
LOCK = "dia3:reaper:lock"


def backlog() -> int:
    client = get_redis()
    pipe = client.pipeline(transaction=False)
    for queue in QUEUES:
        for key in queue_keys(queue):
            pipe.llen(key)
    return sum(pipe.execute())


def reap_once(now: float | None = None) -> list[str]:
    """One pass; returns the ids of the jobs it failed."""
    settings = get_settings()
    client = get_redis()
    if not client.set(LOCK, "1", nx=True, px=int(settings.reaper_interval * 900)):
        return []
    now = time.time() if now is None else now
    store = job_store()
    stale = store.stale_active(now - settings.job_heartbeat_timeout)
    if not stale or backlog() > 0:
        return []
    reaped = []
    for job_id in stale:
        if store.state(job_id) != RUNNING:
            continue
        message = (f"no heartbeat from any worker for {settings.job_heartbeat_timeout} s; "
                   "the worker running this job was lost")
        job = store.get(job_id)
        if store.fail(job_id, error_type="WorkerLost", message=message, step=job.current_step):
            metrics.REAPED.inc()
            metrics.observe_job_end(job.workflow, "failed", job.created_at)
            log.warning("job reaped", extra={"job": job_id, "step": job.current_step})
            reaped.append(job_id)
    return reaped


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

"""Retention: finished jobs and their results are deleted some time after they finished.

``DIA3_JOB_RETENTION_DAYS`` (0 = keep forever) is applied by the workers' reaper thread, one
pass per reaper interval under a cluster-wide lock, each pass deleting at most
``DIA3_RETENTION_BATCH`` jobs; ``dia3 jobs purge --older-than`` does the same on demand.
Every deletion is the job store's DELETE script with a guard (the job must still be finished,
and have finished before the cut-off), so indexes stay consistent and a job that was retried
meanwhile is kept; queued and running jobs are never touched.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from app import audit, metrics, redis_keys
from app.auth.keys import Principal
from app.extensions import job_store
from app.jobs.model import FINAL_STATES
from app.redis_client import get_redis
from app.settings import get_settings

log = logging.getLogger("dia3.retention")
LOCK = redis_keys.RETENTION_LOCK
BATCH = 200


@dataclass
class PurgeReport:
    finished_before: float
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FINAL_STATES, 0))
    result_files: int = 0

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def purge_finished(finished_before: float, limit: int | None = None) -> PurgeReport:
    """Delete jobs (and results) that finished before ``finished_before`` (epoch seconds),
    at most ``limit`` of them."""
    store = job_store()
    report = PurgeReport(finished_before)
    for state in FINAL_STATES:
        kept = 0  # candidates that finished too recently stay in the index: skip past them
        while limit is None or report.total < limit:
            ids = store.purge_candidates(state, finished_before, kept, BATCH)
            if not ids:
                break
            for job_id in ids:
                ref = store.purge(job_id, finished_before)
                if ref is None:
                    kept += 1
                    continue
                report.deleted[state] += 1
                report.result_files += ref.get("kind") == "file"
                if limit is not None and report.total >= limit:
                    break
    metrics.JOBS_PURGED.inc(report.total)
    return report


def purge_and_audit(finished_before: float, actor: Principal,
                    limit: int | None = None) -> PurgeReport:
    """:func:`purge_finished`, recorded as one ``job.purge`` entry when anything went."""
    report = purge_finished(finished_before, limit)
    if report.total:
        audit.record("job.purge", actor, "jobs:finished", deleted=report.deleted,
                     result_files=report.result_files, finished_before=finished_before)
        log.info("finished jobs purged", extra={"deleted": report.deleted,
                                                "finished_before": finished_before})
    return report


def expire_once(now: float | None = None) -> PurgeReport | None:
    """One retention pass if retention is on and no other process runs one right now."""
    settings = get_settings()
    if settings.job_retention_days <= 0:
        return None
    if not get_redis().set(LOCK, "1", nx=True, px=int(settings.reaper_interval * 900)):
        return None
    now = time.time() if now is None else now
    return purge_and_audit(now - settings.job_retention_days * 86400, audit.RETENTION,
                           settings.retention_batch)

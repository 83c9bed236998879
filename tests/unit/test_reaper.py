"""The reaper fails running jobs whose heartbeat stopped, and only those."""

import time
import uuid

from app.context import job_store
from app.jobs.store import new_job_id
from workers import reaper


def running_job(tenant: str) -> str:
    store = job_store()
    job, _ = store.create(job_id=new_job_id(), workflow="smoke", tenant=tenant, owner="k",
                          params={}, steps_total=2, tasks={})
    store.step_start(job.id, "first", "t", "w")
    return job.id


def test_stale_running_job_is_failed_with_a_clear_reason(monkeypatch):
    tenant = "reap" + uuid.uuid4().hex[:6]
    stale, queued = running_job(tenant), None
    store = job_store()
    queued, _ = store.create(job_id=new_job_id(), workflow="smoke", tenant=tenant, owner="k",
                             params={}, steps_total=1, tasks={})
    monkeypatch.setattr(reaper, "backlog", lambda: 0)
    store.r.delete(reaper.LOCK)
    reaped = reaper.reap_once(now=time.time() + 10_000)
    assert stale in reaped and queued.id not in reaped
    job = store.get(stale)
    assert job.state == "failed" and job.error["type"] == "WorkerLost"
    assert "no heartbeat" in job.error["message"] and job.error["step"] == "first"
    assert store.get(queued.id).state == "queued"


def test_fresh_jobs_and_busy_queues_are_left_alone(monkeypatch):
    fresh = running_job("reap" + uuid.uuid4().hex[:6])
    store = job_store()
    store.r.delete(reaper.LOCK)
    monkeypatch.setattr(reaper, "backlog", lambda: 0)
    assert fresh not in reaper.reap_once()
    store.r.delete(reaper.LOCK)
    monkeypatch.setattr(reaper, "backlog", lambda: 5)  # its next step may be waiting in a queue
    assert reaper.reap_once(now=time.time() + 10_000) == []
    assert store.get(fresh).state == "running"


def test_only_one_reaper_pass_runs_at_a_time(monkeypatch):
    store = job_store()
    store.r.delete(reaper.LOCK)
    monkeypatch.setattr(reaper, "backlog", lambda: 0)
    stale = running_job("reap" + uuid.uuid4().hex[:6])
    assert reaper.reap_once(now=time.time() + 10_000 - 1) is not None
    store.r.set(reaper.LOCK, "1", px=60_000)
    assert reaper.reap_once(now=time.time() + 20_000) == []
    store.r.delete(reaper.LOCK)
    assert store.get(stale).state == "failed"

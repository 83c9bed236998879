"""Retention deletes finished jobs (and their results) that ended before the cut-off, keeps
indexes consistent and never touches queued or running jobs; `dia3 jobs purge` does it now."""

from __future__ import annotations

import dataclasses
import time
import types
import uuid

import pytest
from click.testing import CliRunner

from app import audit, retention
from app.extensions import job_store
from app.jobs import store as store_module
from app.jobs.store import JobNotFound, new_job_id
from app.settings import get_settings

DAY = 86400


@pytest.fixture
def at(monkeypatch):
    """``at(t)``: the job store's clock now reads ``t`` (jobs created and ended then)."""
    def set_clock(when: float) -> None:
        monkeypatch.setattr(store_module, "time", types.SimpleNamespace(time=lambda: when))
    yield set_clock


def make_job(tenant: str, state: str, result=None) -> str:
    store = job_store()
    job, _ = store.create(job_id=new_job_id(), workflow="smoke", tenant=tenant, owner="k",
                          params={"n": 1}, steps_total=1, tasks={},
                          idempotency_key=uuid.uuid4().hex)
    if state == "succeeded":
        store.step_start(job.id, "only", "t", "w")
        store.finish(job.id, "only", result if result is not None else {"ok": True}, 0.1)
    elif state == "failed":
        store.fail(job.id, error_type="Boom", message="x", step=None)
    elif state == "cancelled":
        store.cancel(job.id)
    elif state == "running":
        store.step_start(job.id, "only", "t", "w")
    return job.id


def test_purge_deletes_only_jobs_that_finished_before_the_cutoff(at):
    tenant = "ret" + uuid.uuid4().hex[:6]
    store = job_store()
    at(time.time() - 40 * DAY)
    big = {"blob": "x" * (get_settings().result_inline_max_bytes + 10)}
    old = {state: make_job(tenant, state) for state in ("succeeded", "failed", "cancelled")}
    old_file = make_job(tenant, "succeeded", big)
    old_active = [make_job(tenant, "queued"), make_job(tenant, "running")]
    finished_late = make_job(tenant, "queued")
    at(time.time() - 1 * DAY)
    store.cancel(finished_late)  # created long ago, ended recently: kept
    recent = make_job(tenant, "succeeded")
    file_ref = store.get(old_file).result_ref
    assert file_ref["kind"] == "file" and store.results.file_path(file_ref).exists()

    report = retention.purge_finished(time.time() - 30 * DAY)
    gone = [*old.values(), old_file]
    assert report.deleted["succeeded"] >= 2 and report.deleted["failed"] >= 1
    assert report.result_files >= 1
    for job_id in gone:
        with pytest.raises(JobNotFound):
            store.get(job_id)
        assert not store.r.exists(f"dia3:job:{job_id}:params", f"dia3:result:{job_id}")
    assert not store.results.file_path(file_ref).exists()
    kept = {job.id: job.state for job in store.list(tenant, limit=50).items}
    assert kept == {old_active[0]: "queued", old_active[1]: "running",
                    finished_late: "cancelled", recent: "succeeded"}
    for state in ("succeeded", "failed", "cancelled"):  # indexes agree with what is left
        listed = store.list(tenant, state=state, limit=50).items
        assert store.count(tenant, state) == len(listed)
    # idempotency keys went with their jobs
    assert not [k for k in store.r.scan_iter(f"dia3:idem:{tenant}:*")
                if store.r.get(k) in gone]


def test_a_job_that_became_active_again_is_kept(at):
    tenant = "ret" + uuid.uuid4().hex[:6]
    store = job_store()
    at(time.time() - 40 * DAY)
    job_id = make_job(tenant, "failed")
    store.r.hset(f"dia3:job:{job_id}", "state", "queued")  # e.g. retried since it was listed
    assert store.purge(job_id, time.time()) is None
    assert store.get(job_id).state == "queued"


def test_the_retention_pass_applies_the_setting_and_is_audited(at, monkeypatch):
    tenant = "ret" + uuid.uuid4().hex[:6]
    at(time.time() - 10 * DAY)
    old = make_job(tenant, "succeeded")
    settings = dataclasses.replace(get_settings(), job_retention_days=0)
    monkeypatch.setattr(retention, "get_settings", lambda: settings)
    job_store().r.delete(retention.LOCK)
    assert retention.expire_once() is None  # off by default
    settings = dataclasses.replace(settings, job_retention_days=7)
    report = retention.expire_once()
    assert report is not None and report.total >= 1
    with pytest.raises(JobNotFound):
        job_store().get(old)
    assert retention.expire_once() is None  # another pass holds the lock
    entry = audit.query(action="job.purge", actor="retention").items[0]
    assert entry.outcome == "ok" and entry.detail["deleted"]["succeeded"] >= 1


def test_jobs_purge_command_prints_counts(at):
    from app.cli.main import cli
    tenant = "ret" + uuid.uuid4().hex[:6]
    at(time.time() - 3 * DAY)
    old, active = make_job(tenant, "failed"), make_job(tenant, "running")
    result = CliRunner().invoke(cli, ["jobs", "purge", "--older-than", "48h"])
    assert result.exit_code == 0, result.output
    assert "purged" in result.output and "failed" in result.output
    with pytest.raises(JobNotFound):
        job_store().get(old)
    assert job_store().get(active).state == "running"
    assert audit.query(action="job.purge", actor="cli").items
    bad = CliRunner().invoke(cli, ["jobs", "purge", "--older-than", "30"])
    assert bad.exit_code != 0 and "duration" in bad.output

"""The job event streams against a real Redis: one event per change, in order, in the job's
stream and its tenant's, never with user content, resumable by entry id, bounded."""

import json
import uuid

import pytest

from app import redis_keys
from app.extensions import job_store
from app.jobs import events
from app.jobs.store import InvalidTransition, JobStore, new_job_id

SECRET = "user-text-that-must-not-leak"


@pytest.fixture
def tenant():
    return "t" + uuid.uuid4().hex[:8]


def create(tenant, store=None, steps=("a", "b")):
    job, _ = (store or job_store()).create(
        job_id=new_job_id(), workflow="smoke", tenant=tenant, owner="k1",
        params={"text": SECRET}, steps_total=len(steps), tasks={s: f"t-{s}" for s in steps})
    return job


def types(found):
    return [fields["type"] for _, fields in found]


def test_every_change_of_a_job_is_one_event_in_order(tenant):
    store = job_store()
    job = create(tenant)
    store.step_start(job.id, "a", "t-a", "w")
    store.step_start(job.id, "b", "t-b", "w")
    store.step_progress(job.id, "a", batches_done=1, batches_total=2)
    store.step_done(job.id, "a", {"text": SECRET}, 0.1)
    store.finish(job.id, "b", {"text": SECRET}, 0.2)
    found = events.job_events(job.id)
    assert types(found) == ["job.queued", "job.running", "job.progress", "job.progress",
                            "job.progress", "job.succeeded"]
    assert [f["state"] for _, f in found] == ["queued"] + ["running"] * 4 + ["succeeded"]
    assert [f.get("step") for _, f in found] == [None, "a", "b", "a", "a", "b"]
    progress = json.loads(found[3][1]["progress"])
    assert (progress["batches_done"], progress["batches_total"], progress["state"]) == \
        (1, 2, "running")
    assert "worker" not in progress and "task_id" not in progress
    assert found[4][1]["steps_done"] == "1" and found[5][1]["steps_total"] == "2"
    first = found[0][1]
    assert (first["job_id"], first["workflow"]) == (job.id, "smoke")
    assert float(first["at"]) == pytest.approx(job.created_at, abs=5)
    # the tenant's stream has the same events, in the same order
    assert [(f["job_id"], f["type"]) for _, f in events.tenant_events(tenant, after="0-0")] \
        == [(job.id, t) for t in types(found)]
    assert SECRET not in json.dumps(found)


def test_failure_names_the_error_type_only_and_retry_is_an_event(tenant):
    store = job_store()
    job = create(tenant)
    store.step_start(job.id, "a", "t-a", "w")
    assert store.fail(job.id, error_type="ValueError", message=SECRET, step="a")
    assert not store.fail(job.id, error_type="X", message="again", step="a")  # no change
    with pytest.raises(InvalidTransition):
        store.cancel(job.id)
    store.redo(job.id, ("failed",), {"a": "t-a2"})
    store.cancel(job.id)
    found = events.job_events(job.id)
    assert types(found) == ["job.queued", "job.running", "job.failed", "job.retried",
                            "job.cancelled"]
    failed = found[2][1]
    assert (failed["state"], failed["error_type"]) == ("failed", "ValueError")
    assert found[3][1]["state"] == "queued" and "error_type" not in found[3][1]
    assert SECRET not in json.dumps(found)
    assert [events.is_final(f) for _, f in found] == [False, False, True, False, True]


def test_reading_after_an_id_resumes_without_loss_or_repeats(tenant):
    store = job_store()
    job = create(tenant)
    store.step_start(job.id, "a", "t-a", "w")
    everything = events.job_events(job.id)
    head = events.job_events(job.id, count=1)
    rest = events.job_events(job.id, after=head[-1][0])
    assert head + rest == everything
    assert events.job_events(job.id, after=everything[-1][0]) == []
    # the tenant stream from "now": nothing before, then exactly what came after
    assert events.tenant_events(tenant) == []
    now = events.tenant_head(tenant)
    store.cancel(job.id)
    assert types(events.tenant_events(tenant, after=now)) == ["job.cancelled"]
    assert events.tenant_head("nobody-" + tenant) == "0-0"


def test_a_blocking_read_returns_when_an_event_comes(tenant):
    store = job_store()
    job = create(tenant)
    after = events.job_events(job.id)[-1][0]
    assert events.job_events(job.id, after=after, block_ms=50) == []  # waited, none came
    store.cancel(job.id)
    assert types(events.job_events(job.id, after=after, block_ms=1000)) == ["job.cancelled"]


def test_deleting_a_job_deletes_its_stream_but_not_the_tenants(tenant):
    store = job_store()
    job = create(tenant)
    store.cancel(job.id)
    store.delete(job.id)
    assert not store.r.exists(redis_keys.job_events(job.id))
    assert types(events.tenant_events(tenant, after="0-0")) == ["job.queued", "job.cancelled"]
    assert events.drop_tenant(tenant) == 1
    assert not store.r.exists(redis_keys.tenant_events(tenant))


def test_the_tenant_stream_is_bounded(tenant):
    base = job_store()
    store = JobStore(base.r, base.results, events_retention=10)
    for _ in range(80):  # 160 events; none of these jobs is left active for other tests
        job = create(tenant, store)
        store.cancel(job.id)
        store.delete(job.id)
    # trimmed approximately: whole nodes of 100 entries go once over the bound
    assert 10 <= base.r.xlen(redis_keys.tenant_events(tenant)) <= 110


def test_a_finished_jobs_own_stream_expires_and_a_retry_keeps_it_again(tenant):
    base = job_store()
    store = JobStore(base.r, base.results, job_events_ttl=120)
    job = create(tenant, store)
    key = redis_keys.job_events(job.id)
    store.step_start(job.id, "a", "t-a", "w")
    assert base.r.ttl(key) == -1  # active: kept
    store.fail(job.id, error_type="ValueError", message=SECRET, step="a")
    assert 0 < base.r.ttl(key) <= 120
    store.redo(job.id, ("failed",), {"a": "t-a2"})
    assert base.r.ttl(key) == -1
    store.cancel(job.id)
    assert 0 < base.r.ttl(key) <= 120


def test_the_final_event_is_rebuilt_once_the_stream_has_expired(tenant):
    store = job_store()
    job = create(tenant)
    store.step_start(job.id, "a", "t-a", "w")
    store.fail(job.id, error_type="ValueError", message=SECRET, step="a")
    recorded = events.job_events(job.id)[-1][1]
    assert events.final_event(store.get(job.id)) is None  # its stream is still there
    store.r.delete(redis_keys.job_events(job.id))  # as when DIA3_JOB_EVENTS_TTL has passed
    entry_id, rebuilt = events.final_event(store.get(job.id))
    assert events.ENTRY_ID.match(entry_id) and events.is_final(rebuilt)
    same = ("type", "job_id", "workflow", "state", "steps_done", "steps_total", "error_type")
    assert {k: rebuilt[k] for k in same} == {k: recorded[k] for k in same}
    assert float(rebuilt["at"]) == pytest.approx(float(recorded["at"]), abs=0.01)
    assert events.final_event(create(tenant)) is None  # an active job has none

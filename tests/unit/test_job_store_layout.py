"""The job store's compact layout against a real Redis: a job's short params and result live
in its hash, its listings of every state are unions of the state indexes, and jobs stored by
an older layout (params and result in keys of their own, indexes of every state and of each
workflow) still read, list, back up and delete."""

import uuid

import pytest

from app import redis_keys as keys
from app.extensions import job_store
from app.jobs.store import JobNotFound, new_job_id


@pytest.fixture
def tenant():
    return "t" + uuid.uuid4().hex[:8]


def create(tenant, params=None, workflow="smoke"):
    job, _ = job_store().create(
        job_id=new_job_id(), workflow=workflow, tenant=tenant, owner="k1",
        params={"a": 1} if params is None else params, steps_total=1, tasks={"s": "t"})
    return job


def test_short_params_and_result_go_with_the_jobs_hash(tenant):
    store = job_store()
    job = create(tenant)
    assert store.finish(job.id, "s", {"value": 1}, 0.0)[0]
    assert not store.r.exists(keys.job(job.id, "params"), keys.result(job.id))
    assert store.get(job.id, with_params=True).params == {"a": 1}
    assert store.params(job.id) == {"a": 1}
    assert store.result(job.id, store.get(job.id)) == {"value": 1}


def test_long_params_and_results_keep_keys_of_their_own(tenant):
    store = job_store()
    params, result = {"text": "p" * (keys.INLINE_MAX + 1)}, {"text": "r" * 2000}
    job = create(tenant, params)
    assert store.finish(job.id, "s", result, 0.0)[0]
    assert store.r.exists(keys.job(job.id, "params"), keys.result(job.id)) == 2
    assert store.get(job.id, with_params=True).params == params
    assert store.result(job.id, store.get(job.id)) == result
    store.delete(job.id)
    assert not store.r.exists(keys.job(job.id), keys.job(job.id, "params"),
                              keys.result(job.id))


def older_layout(store, job_id: str) -> None:
    """Store a job as the older layout did: params and result in keys of their own, and in
    the indexes of every state and of its workflow (under its tenant and '*')."""
    job = store.get(job_id)
    data = store.r.hgetall(keys.job(job_id))
    pipe = store.r.pipeline(transaction=True)
    pipe.hdel(keys.job(job_id), "params", "result")
    pipe.set(keys.job(job_id, "params"), data["params"])
    if "result" in data:
        pipe.set(keys.result(job_id), data["result"])
    for scope in (job.tenant, "*"):
        pipe.zadd(f"{keys.PREFIX}idx:{scope}:all", {job_id: job.created_at})
        pipe.zadd(f"{keys.PREFIX}idx:{scope}:w:{job.workflow}", {job_id: job.created_at})
    pipe.execute()


def test_jobs_of_the_older_layout_read_list_back_up_and_delete(tenant):
    store = job_store()
    done, waiting = create(tenant, {"n": 1}), create(tenant, {"n": 2})
    assert store.finish(done.id, "s", {"value": 3}, 0.0)[0]
    older_layout(store, done.id)
    older_layout(store, waiting.id)
    assert store.get(done.id, with_params=True).params == {"n": 1}
    assert store.params(waiting.id) == {"n": 2}
    assert store.result(done.id, store.get(done.id)) == {"value": 3}
    assert [job.id for job in store.list(tenant).items] == [waiting.id, done.id]
    snapshot = store.snapshot(done.id)
    assert "params" not in snapshot["hash"] and snapshot["params"]
    store.restore(done.id, snapshot)  # written back in the compact layout
    assert not store.r.exists(keys.job(done.id, "params"), keys.result(done.id))
    assert store.get(done.id, with_params=True).params == {"n": 1}
    assert store.result(done.id, store.get(done.id)) == {"value": 3}
    store.delete(waiting.id)
    assert not store.r.exists(keys.job(waiting.id), keys.job(waiting.id, "params"))
    with pytest.raises(JobNotFound):
        store.get(waiting.id)


def test_a_snapshot_holds_params_and_result_apart_from_the_record(tenant):
    store = job_store()
    job = create(tenant, {"x": [1, 2]})
    assert store.finish(job.id, "s", {"value": 1}, 0.0)[0]
    snapshot = store.snapshot(job.id)
    assert {"params", "result"}.isdisjoint(snapshot["hash"])
    assert snapshot["params"] and snapshot["result"]
    store.delete(job.id)
    store.restore(job.id, snapshot)
    assert store.get(job.id, tenant, with_params=True).params == {"x": [1, 2]}
    assert store.result(job.id, store.get(job.id)) == {"value": 1}
    assert [j.id for j in store.list(tenant, state="succeeded", workflow="smoke").items] == [
        job.id]


def test_the_older_layouts_indexes_are_dropped_once_and_listings_stay_complete(tenant):
    store = job_store()
    jobs = [create(tenant, workflow=("smoke", "sentiment")[i % 2]) for i in range(4)]
    for job in jobs:
        older_layout(store, job.id)
    store.r.delete(keys.OBSOLETE_INDEXES_DROPPED)
    assert store.drop_obsolete_indexes(batch=50) >= 4  # the tenant's and '*''s, and others'
    assert not store.r.exists(f"{keys.PREFIX}idx:{tenant}:all",
                              f"{keys.PREFIX}idx:{tenant}:w:smoke")
    assert store.drop_obsolete_indexes() == 0  # once per Redis
    assert [job.id for job in store.list(tenant).items] == [job.id for job in jobs[::-1]]
    assert [job.id for job in store.list(tenant, workflow="sentiment").items] == [
        jobs[3].id, jobs[1].id]
    assert store.count(tenant) == 4 and store.count(tenant, "queued") == 4


def test_listing_every_state_pages_through_a_union_of_states_in_order(tenant):
    store = job_store()
    jobs = [create(tenant, workflow=("smoke", "sentiment")[i % 2]) for i in range(9)]
    for i, job in enumerate(jobs):
        if i % 3 == 1:
            assert store.finish(job.id, "s", {"i": i}, 0.0)[0]
        elif i % 3 == 2:
            store.cancel(job.id)
    for workflow, expected in ((None, jobs), ("smoke", jobs[::2])):
        seen, cursor = [], None
        while True:
            page = store.list(tenant, workflow=workflow, limit=2, cursor=cursor)
            seen += [job.id for job in page.items]
            if not (cursor := page.next_cursor):
                break
        assert seen == [job.id for job in expected[::-1]]
    assert list(store.tenant_ids(tenant, page=2)) == [job.id for job in jobs]
    assert store.count(tenant) == 9 and store.count(tenant, "cancelled") == 3


def test_jobs_with_the_same_creation_time_page_by_id(tenant):
    store = job_store()
    jobs = [create(tenant) for _ in range(5)]
    score = jobs[0].created_at
    for i, job in enumerate(jobs):  # one instant for all: their ids order them
        if i % 2:
            store.cancel(job.id)
        state = store.get(job.id).state
        for scope in (tenant, None):
            store.r.zadd(keys.index(scope, state), {job.id: score})
            store.r.zadd(keys.index(scope, state, "smoke"), {job.id: score})
    seen, cursor = [], None
    while True:
        page = store.list(tenant, limit=2, cursor=cursor)
        seen += [job.id for job in page.items]
        if not (cursor := page.next_cursor):
            break
    assert seen == sorted((job.id for job in jobs), reverse=True)
    assert list(store.tenant_ids(tenant, page=2)) == sorted(job.id for job in jobs)


def test_a_finished_jobs_step_records_go_with_its_hash_and_come_back_for_a_retry(tenant):
    store = job_store()
    job, _ = store.create(job_id=new_job_id(), workflow="smoke", tenant=tenant, owner="k1",
                          params={}, steps_total=2, tasks={"a": "t1", "b": "t2"})
    assert store.step_start(job.id, "a", "t1", "w").verdict == "run"
    assert store.step_done(job.id, "a", {"x": 1}, 0.5)
    assert store.step_start(job.id, "b", "t2", "w").verdict == "run"
    assert store.fail(job.id, error_type="E", message="m", step="b")
    assert not store.r.exists(keys.job(job.id, "steps"))
    steps = store.steps(job.id)
    assert {step: rec["state"] for step, rec in steps.items()} == {"a": "done", "b": "failed"}
    assert store.step_done(job.id, "b", None, 0.1)  # a late delivery still counts once
    assert not store.r.exists(keys.job(job.id, "steps"))
    assert store.steps(job.id)["b"]["state"] == "done" and not store.step_done(
        job.id, "b", None, 0.1)
    assert store.redo(job.id, ("failed",), {"b": "t3"}) == 2  # retried: records apart again
    assert store.r.exists(keys.job(job.id, "steps"))
    assert store.step_start(job.id, "a", "t1", "w").verdict == "done"
    snapshot = store.snapshot(job.id)
    assert set(snapshot["steps"]) == {"a", "b"}
    assert store.finish(job.id, "b", {"ok": 1}, 0.0)[0]
    assert not store.r.exists(keys.job(job.id, "steps"))
    done = store.snapshot(job.id)
    assert not any(name.startswith("step:") for name in done["hash"])
    assert set(done["steps"]) == {"a", "b"}
    store.delete(job.id)
    store.restore(job.id, done)
    assert set(store.steps(job.id)) == {"a", "b"}


def test_the_reaper_drops_the_older_indexes_on_its_first_pass(tenant):
    from workers.runtime import reaper
    store = job_store()
    job = create(tenant)
    older_layout(store, job.id)
    store.r.delete(keys.OBSOLETE_INDEXES_DROPPED)
    assert reaper.drop_obsolete_indexes() >= 2
    assert not store.r.exists(f"{keys.PREFIX}idx:{tenant}:all")
    assert reaper.drop_obsolete_indexes() == 0
    assert [j.id for j in store.list(tenant).items] == [job.id]

"""The job store against a real Redis: transitions, indexes, pagination, step bookkeeping."""

import uuid

import pytest

from app.extensions import job_store
from app.jobs.store import InvalidTransition, JobNotFound, decode_cursor, new_job_id


def create(tenant, workflow="smoke", key=None, steps=3):
    job, created = job_store().create(
        job_id=new_job_id(), workflow=workflow, tenant=tenant, owner="k1", params={"a": 1},
        steps_total=steps, tasks={"s": "t"}, idempotency_key=key)
    return job, created


@pytest.fixture
def tenant():
    return "t" + uuid.uuid4().hex[:8]


def test_create_and_read_back(tenant):
    job, created = create(tenant)
    assert created and job.state == "queued" and job.steps_total == 3
    again = job_store().get(job.id, tenant=tenant, with_params=True)
    assert again.params == {"a": 1} and again.tenant == tenant
    with pytest.raises(JobNotFound):
        job_store().get(job.id, tenant="someone-else")


def test_idempotency_key_is_per_tenant(tenant):
    first, created1 = create(tenant, key="k")
    second, created2 = create(tenant, key="k")
    other, created3 = create(tenant + "x", key="k")
    assert created1 and not created2 and created3
    assert first.id == second.id != other.id


def test_state_indexes_follow_transitions(tenant):
    store = job_store()
    job, _ = create(tenant)
    assert [j.id for j in store.list(tenant, state="queued").items] == [job.id]
    assert store.step_start(job.id, "s", "t", "w").verdict == "run"
    assert store.list(tenant, state="queued").items == []
    assert [j.id for j in store.list(tenant, state="running", workflow="smoke").items] == [job.id]
    assert store.finish(job.id, "last", {"ok": True}, 0.0)[0]
    assert [j.id for j in store.list(tenant, state="succeeded").items] == [job.id]
    assert store.list(tenant, state="running").items == []
    assert store.count(tenant, "succeeded") == 1
    with pytest.raises(InvalidTransition):
        store.cancel(job.id)


def test_cursor_pagination_is_complete_and_newest_first(tenant):
    ids = [create(tenant)[0].id for _ in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        page = job_store().list(tenant, limit=3, cursor=cursor)
        seen += [j.id for j in page.items]
        pages += 1
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == ids[::-1] and pages == 3


def test_bad_cursor_is_rejected():
    with pytest.raises(ValueError):
        decode_cursor("not-a-cursor!")


def test_step_bookkeeping_ignores_second_delivery_and_finished_jobs(tenant):
    store = job_store()
    job, _ = create(tenant)
    assert store.step_start(job.id, "a", "t", "w").verdict == "run"
    assert store.step_start(job.id, "a", "t", "w").starts == 2  # redelivered while running
    assert store.step_done(job.id, "a", {"x": 1}, 0.1)
    assert not store.step_done(job.id, "a", {"x": 2}, 0.1)  # counted once
    assert store.step_start(job.id, "a", "t", "w").verdict == "done"
    assert store.get(job.id).steps_done == 1
    assert store.step_start(job.id, "b", "t", "w").verdict == "run"
    assert store.step_done(job.id, "b", 41, 0.1, passed_on=True)
    replay = store.step_start(job.id, "b", "t", "w")
    assert (replay.verdict, replay.memo) == ("done", 41)  # what it passed on, for replays
    assert store.step_outputs(job.id) == {"a": {"x": 1}}  # memos are not outputs
    store.cancel(job.id)
    assert store.step_start(job.id, "b", "t", "w").verdict == "stop"


def test_progress_merges_into_a_running_step_only(tenant):
    store = job_store()
    job, _ = create(tenant)
    assert not store.step_progress(job.id, "a", batches_done=1)  # not started
    started = store.step_start(job.id, "a", "t", "w")
    assert store.step_progress(job.id, "a", batches_done=1, batches_total=3)
    assert store.step_progress(job.id, "a", batches_done=2)
    record = store.steps(job.id)["a"]
    assert (record["batches_done"], record["batches_total"]) == (2, 3)
    assert (record["state"], record["starts"], record["task_id"]) == ("running", started.starts,
                                                                      "t")
    store.step_done(job.id, "a", None, 0.1)
    assert not store.step_progress(job.id, "a", batches_done=3)
    assert store.steps(job.id)["a"]["batches_done"] == 2


def test_failure_keeps_step_and_reason(tenant):
    store = job_store()
    job, _ = create(tenant)
    assert store.fail(job.id, error_type="ValueError", message="bad", step="b")
    assert not store.fail(job.id, error_type="X", message="again", step="c")
    failed = store.get(job.id)
    assert failed.error == {"type": "ValueError", "message": "bad", "step": "b"}
    assert failed.finished_at is not None


def planned(tenant, *steps):
    job, _ = job_store().create(
        job_id=new_job_id(), workflow="smoke", tenant=tenant, owner="k1", params={},
        steps_total=len(steps), tasks={step: f"t-{step}" for step in steps})
    return job


def states(job_id):
    return {step: rec["state"] for step, rec in job_store().steps(job_id).items()}


def test_a_failed_job_ends_every_unfinished_step_in_a_final_state(tenant):
    store = job_store()
    job = planned(tenant, "a", "b", "c", "d")
    for step in ("a", "b", "c"):
        store.step_start(job.id, step, f"t-{step}", "w")
    store.step_done(job.id, "a", None, 0.1)
    assert store.fail(job.id, error_type="ValueError", message="bad", step="b")
    assert states(job.id) == {"a": "done", "b": "failed", "c": "stopped", "d": "not_run"}
    steps = store.steps(job.id)
    assert steps["b"]["finished_at"] >= steps["b"]["started_at"]  # a duration that stays
    assert steps["a"]["runtime"] == 0.1 and "finished_at" not in steps["d"]


def test_a_cancelled_job_stops_running_steps_and_marks_the_rest_not_run(tenant):
    store = job_store()
    job = planned(tenant, "a", "b")
    store.step_start(job.id, "a", "t-a", "w")
    store.cancel(job.id)
    assert states(job.id) == {"a": "stopped", "b": "not_run"}
    assert store.step_start(job.id, "b", "t-b", "w").verdict == "stop"
    assert states(job.id)["b"] == "not_run"


def test_a_retry_makes_steps_that_never_ran_pending_again(tenant):
    store = job_store()
    job = planned(tenant, "a", "b", "c")
    store.step_start(job.id, "a", "t-a", "w")
    store.step_done(job.id, "a", None, 0.1)
    store.step_start(job.id, "b", "t-b", "w")
    store.fail(job.id, error_type="ValueError", message="bad", step="b")
    assert store.redo(job.id, ("failed", "cancelled"), {"b": "t-b2", "c": "t-c2"}) == 2
    assert states(job.id) == {"a": "done", "b": "retrying"}  # c: no record, pending
    store.cancel(job.id)  # the retried step had not started again: it did not run
    assert states(job.id) == {"a": "done", "b": "not_run", "c": "not_run"}


def test_large_results_go_to_files_and_delete_removes_everything(tenant):
    store = job_store()
    job, _ = create(tenant, key="del")
    big = {"blob": "x" * 200_000}
    assert store.finish(job.id, "last", big, 0.0)[0]
    done = store.get(job.id)
    assert done.result_ref["kind"] == "file"
    assert store.result(job.id, done) == big
    path = store.results.dir.parent / done.result_ref["path"]
    assert path.exists()
    store.delete(job.id)
    assert not path.exists()
    with pytest.raises(JobNotFound):
        store.get(job.id)
    assert store.list(tenant).items == []
    assert create(tenant, key="del")[1]  # the idempotency key was released


def test_stale_active_jobs_are_found_by_heartbeat(tenant):
    import time
    store = job_store()
    job, _ = create(tenant)
    assert job.id in store.stale_active(time.time() + 1)
    assert job.id not in store.stale_active(time.time() - 3600)


def test_resumes_are_counted_on_active_jobs_only(tenant):
    store = job_store()
    job, _ = create(tenant)
    assert [store.count_resume(job.id), store.count_resume(job.id)] == [1, 2]
    store.cancel(job.id)
    assert store.count_resume(job.id) is None
    gone = new_job_id()
    assert store.count_resume(gone) is None
    with pytest.raises(JobNotFound):  # no stray record was made for it
        store.get(gone)


def test_finish_marks_last_step_and_job_in_one_go(tenant):
    store = job_store()
    job, _ = create(tenant, steps=1)
    store.step_start(job.id, "last", "t", "w")
    ok, workflow, created = store.finish(job.id, "last", {"v": 1}, 0.01)
    assert ok and workflow == "smoke" and created == pytest.approx(job.created_at)
    done = store.get(job.id)
    assert done.state == "succeeded" and done.steps_done == 1
    assert store.result(job.id, done) == {"v": 1}
    assert store.finish(job.id, "last", {"v": 2}, 0.01)[0] is False  # duplicate delivery
    assert store.result(job.id, store.get(job.id)) == {"v": 1}
    assert store.get(job.id).steps_done == 1


def test_finish_after_cancel_discards_the_result(tenant):
    store = job_store()
    job, _ = create(tenant, steps=1)
    store.cancel(job.id)
    assert store.finish(job.id, "last", {"v": 1}, 0.01)[0] is False
    assert store.get(job.id).result_ref is None
    assert store.r.get(f"dia3:result:{job.id}") is None


def test_paging_all_jobs_skips_none_when_jobs_are_deleted_meanwhile():
    store = job_store()
    mine = {store.create(job_id=new_job_id(), workflow="smoke", tenant="page", owner="k",
                         params={}, steps_total=1, tasks={})[0].id for _ in range(6)}

    def pages(delete_seen: bool) -> list[str]:
        seen, after = [], None
        while page := store.all_ids(after, 2):
            seen += [job_id for job_id, _ in page]
            after = page[-1][::-1]
            if delete_seen and seen[-1] in mine:
                store.delete(seen[-1])  # e.g. retention running during a backup
        return seen

    everything = pages(delete_seen=False)
    assert mine <= set(everything) and len(set(everything)) == len(everything)
    assert pages(delete_seen=True) == everything


def test_deleting_an_ingest_job_removes_its_staged_uploads(tenant):
    from app.jobs.store import new_job_id
    from app.workflows.knowledge import uploads
    store = job_store()
    kept, dropped = uploads.stage(b"other job's document"), uploads.stage(b"a document")
    job, _ = store.create(job_id=new_job_id(), workflow="ingest", tenant=tenant, owner="k",
                          params={"collection": "c", "documents": [{"upload": dropped}]},
                          steps_total=2, tasks={})
    other, _ = store.create(job_id=new_job_id(), workflow="smoke", tenant=tenant, owner="k",
                            params={"documents": [{"upload": kept}]}, steps_total=1, tasks={})
    store.cancel(job.id)
    store.cancel(other.id)
    store.delete(job.id)
    store.delete(other.id)
    assert uploads.fetch(dropped) is None
    assert uploads.fetch(kept) is not None  # only ingest params name uploads
    uploads.discard(kept)


def test_purging_a_failed_ingest_job_removes_its_uploads_only_if_the_job_goes(tenant):
    import time

    from app.workflows.knowledge import uploads
    store = job_store()
    staged = uploads.stage(b"a document")
    job, _ = store.create(job_id=new_job_id(), workflow="ingest", tenant=tenant, owner="k",
                          params={"collection": "c", "documents": [{"upload": staged}]},
                          steps_total=2, tasks={})
    store.fail(job.id, error_type="X", message="failed", step="doc-0000")
    assert store.purge(job.id, time.time() - 3600) is None  # finished too recently: kept
    assert uploads.fetch(staged) is not None
    assert store.purge(job.id, time.time() + 1) == {}
    assert uploads.fetch(staged) is None


def test_a_workflows_clean_up_hook_is_asked_for_its_own_jobs_only(tenant):
    from app.jobs.store import JobStore
    base = job_store()
    extra = f"test:extra:{uuid.uuid4().hex}"
    asked = []

    def hook(workflow):
        asked.append(workflow)
        return (lambda params: [params["extra"]]) if workflow == "hooked" else None

    store = JobStore(base.r, base.results, hook)
    hooked, plain = (store.create(job_id=new_job_id(), workflow=workflow, tenant=tenant,
                                  owner="k", params={"extra": extra}, steps_total=1,
                                  tasks={})[0] for workflow in ("hooked", "smoke"))
    base.r.set(extra, "1")
    store.cancel(plain.id)
    store.delete(plain.id)
    assert base.r.exists(extra)
    store.cancel(hooked.id)
    store.delete(hooked.id)
    assert not base.r.exists(extra) and asked == ["smoke", "hooked"]
    with pytest.raises(JobNotFound):
        store.delete(hooked.id)
    assert asked == ["smoke", "hooked"]  # a job that is gone has no workflow to ask


def create_with_id(job_id: str, tenant: str, workflow: str = "smoke"):
    return job_store().create(job_id=job_id, workflow=workflow, tenant=tenant, owner="k",
                              params={}, steps_total=1, tasks={})[0]


def prefixed(store, tenant, prefix, **filters) -> list[str]:
    return [job.id for job in store.list(tenant, id_prefix=prefix, **filters).items]


def test_jobs_are_found_by_id_prefix_in_their_tenant_only(tenant):
    store = job_store()
    base = uuid.uuid4().hex[:28]
    ids = [create_with_id(f"{base}{suffix}", tenant).id for suffix in ("00a1", "00b2", "0c3d")]
    other = create_with_id(f"{base}00a9", tenant + "x", workflow="sentiment")
    assert prefixed(store, tenant, base) == ids  # in id order
    assert prefixed(store, tenant, f"{base}00") == ids[:2]
    assert prefixed(store, tenant, f"{base}0c") == ids[2:]
    assert prefixed(store, tenant, f"{base}00a") == ids[:1]  # the other tenant's is not seen
    assert prefixed(store, None, f"{base}00a") == [ids[0], other.id]  # every tenant (admin)
    assert prefixed(store, tenant, f"{base}f") == []
    store.cancel(ids[1])
    assert prefixed(store, tenant, base, state="cancelled") == [ids[1]]
    assert prefixed(store, None, base, workflow="sentiment") == [other.id]
    store.delete(ids[1])
    assert prefixed(store, tenant, base) == [ids[0], ids[2]]
    snapshot = store.snapshot(other.id)
    store.cancel(other.id)
    store.delete(other.id)
    assert prefixed(store, None, f"{base}00a") == [ids[0]]
    store.restore(other.id, snapshot)
    assert prefixed(store, None, f"{base}00a") == [ids[0], other.id]


def test_id_prefix_pages_are_complete(tenant):
    store = job_store()
    base = uuid.uuid4().hex[:30]
    ids = sorted(create_with_id(f"{base}{n:02x}", tenant).id for n in range(7))
    seen, cursor = [], None
    while True:
        page = store.list(tenant, id_prefix=base, limit=3, cursor=cursor)
        seen += [job.id for job in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == ids


def test_jobs_from_before_the_id_index_are_added_on_the_first_prefix_lookup(tenant):
    from app import redis_keys
    store = job_store()
    job = create_with_id(uuid.uuid4().hex, tenant)
    store.r.zrem(redis_keys.id_index(tenant), job.id)  # as a job made by an older version
    store.r.zrem(redis_keys.id_index(None), job.id)
    store.r.delete(redis_keys.ID_INDEX_BUILT)
    assert prefixed(store, tenant, job.id[:8]) == [job.id]
    assert store.r.exists(redis_keys.ID_INDEX_BUILT)
    assert prefixed(store, None, job.id) == [job.id]


def test_child_jobs_are_listed_under_their_parent_which_hears_of_each_end(tenant):
    from app.jobs.store import JobStore
    from app.redis_client import get_redis
    ended: list[str] = []
    store = JobStore(get_redis(), job_store().results, child_ended=ended.append)
    parent, _ = create(tenant, workflow="pipeline")

    def child(workflow="smoke"):
        return store.create(job_id=new_job_id(), workflow=workflow, tenant=tenant, owner="k1",
                            params={}, steps_total=1, tasks={}, parent_id=parent.id)[0]
    first, second, third = child(), child("sentiment"), child()
    assert first.parent_id == parent.id == store.get(first.id).parent_id
    listed = store.list(tenant, parent_id=parent.id)
    assert [j.id for j in listed.items] == [third.id, second.id, first.id]
    assert [j.id for j in store.list(tenant, parent_id=parent.id, workflow="sentiment").items
            ] == [second.id]
    assert store.list(tenant + "x", parent_id=parent.id).items == []

    store.step_start(first.id, "s", "t", "w")
    assert ended == []
    assert store.finish(first.id, "s", {"value": 1}, 0.0)[0]
    store.fail(second.id, error_type="X", message="no", step="s")
    store.cancel(third.id)
    assert ended == [parent.id] * 3
    store.fail(second.id, error_type="X", message="again", step="s")  # already ended
    store.cancel(parent.id)  # a job without a parent tells no one
    assert ended == [parent.id] * 3

    saved = store.snapshot(third.id)
    store.delete(third.id)
    assert [j.id for j in store.list(tenant, parent_id=parent.id).items] == [
        second.id, first.id]
    store.restore(third.id, saved)  # a backup's job is listed under its parent again
    assert [j.id for j in store.list(tenant, parent_id=parent.id).items] == [
        third.id, second.id, first.id]

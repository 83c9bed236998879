"""The reaper requeues messages no live worker holds, and re-dispatches jobs whose steps are
nowhere — leaving alone jobs with a message queued or held."""

import json
import math
import time
import uuid

import pytest

from app.extensions import job_store, worker_registry
from app.jobs.store import new_job_id
from app.redis_client import get_redis
from tests.conftest import wait_for
from workers.runtime import held, reaper


def running_job(tenant: str) -> str:
    store = job_store()
    job, _ = store.create(job_id=new_job_id(), workflow="smoke", tenant=tenant, owner="k",
                          params={"start": 1}, steps_total=3,
                          tasks={"first": "t1", "second": "t2", "finish": "t3"})
    store.step_start(job.id, "first", "t1", "w")
    return job.id


def envelope(job_id: str, queue: str) -> str:
    """A kombu Redis envelope as it sits in the unacked hash: [message, exchange, key]."""
    message = {"body": "e30=", "content-encoding": "utf-8", "content-type": "application/json",
               "headers": {"id": f"{job_id}-x", "task": "dia3.smoke.add_one",
                           "dia3_job_id": job_id},
               "properties": {"delivery_info": {"exchange": "", "routing_key": queue},
                              "delivery_tag": uuid.uuid4().hex, "body_encoding": "base64"}}
    return json.dumps([message, "", queue])


@pytest.fixture
def no_lock():
    get_redis().delete(reaper.LOCK)
    yield
    get_redis().delete(reaper.LOCK)


def test_a_job_whose_steps_are_nowhere_is_redispatched_under_new_task_ids(no_lock):
    job_id = running_job("reap" + uuid.uuid4().hex[:6])
    resumed, failed = reaper.resume_lost_jobs(now=time.time() + 10_000)
    assert job_id in resumed and job_id not in failed
    job = job_store().get(job_id)
    assert job.attempts == 2 and job.state in ("running", "succeeded")  # a worker may be up
    assert sorted(job.tasks) == ["finish", "first", "second"]
    assert all(task.endswith("-a2") for task in job.tasks.values())


def test_a_job_with_a_message_held_or_queued_is_left_alone(no_lock):
    client = get_redis()
    job_id = running_job("reap" + uuid.uuid4().hex[:6])
    tag = uuid.uuid4().hex
    client.hset(held.UNACKED, tag, envelope(job_id, "nowhere-q"))
    try:
        later = time.time() + 10_000
        resumed, _ = reaper.resume_lost_jobs(now=later)
        assert job_id not in resumed
        assert job_store().get(job_id).attempts == 1
        # seen waiting: not scanned for again until another timeout has passed
        assert client.zscore("dia3:active", job_id) == pytest.approx(later)
    finally:
        client.hdel(held.UNACKED, tag)


def test_a_job_lost_more_than_max_resumes_times_is_failed_with_the_reason(
        no_lock, monkeypatch, settings_env):
    from app import service
    sent = []
    monkeypatch.setattr(service, "redispatch", lambda job_id, allowed: sent.append(job_id))
    settings_env(DIA3_MAX_RESUMES="1")
    job_id = running_job("reap" + uuid.uuid4().hex[:6])
    assert job_id in reaper.resume_lost_jobs(now=time.time() + 10_000)[0]
    assert job_id in reaper.resume_lost_jobs(now=time.time() + 20_000)[1]
    assert sent.count(job_id) == 1
    job = job_store().get(job_id)
    assert job.state == "failed" and job.error["type"] == "WorkerLost"
    assert "lost 1 times" in job.error["message"]
    steps = job_store().steps(job_id)  # its worker is gone: the running step failed with it
    assert {step: rec["state"] for step, rec in steps.items()} == {
        "first": "failed", "second": "not_run", "finish": "not_run"}


def test_unacked_messages_of_dead_workers_are_requeued_and_held_ones_are_not(no_lock):
    client = get_redis()
    queue = "reaper-test-" + uuid.uuid4().hex[:6]
    live = "live-" + uuid.uuid4().hex[:6] + "@test"
    orphan, kept = uuid.uuid4().hex, uuid.uuid4().hex
    old = time.time() - 1000
    for tag in (orphan, kept):
        client.hset(held.UNACKED, tag, envelope("j" + tag, queue))
        client.zadd(held.UNACKED_INDEX, {tag: old})
    worker_registry().beat(client, live, {})
    client.sadd(held.KEY + live, kept)
    try:
        assert reaper.restore_orphans() >= 1
        assert client.hexists(held.UNACKED, kept) and not client.hexists(held.UNACKED, orphan)
        requeued = [json.loads(raw) for raw in client.lrange(queue, 0, -1)]
        assert [m["headers"]["dia3_job_id"] for m in requeued] == ["j" + orphan]
        assert requeued[0]["headers"]["redelivered"] is True
        # Under a new tag: should the "dead" worker still acknowledge the first copy, that
        # cannot remove the unacked entry of the second one.
        assert requeued[0]["properties"]["delivery_tag"] not in (orphan, kept)
    finally:
        client.delete(queue, held.KEY + live)
        client.hdel(held.UNACKED, orphan, kept)
        client.zrem(held.UNACKED_INDEX, orphan, kept)
        worker_registry().leave(client, live)


def test_a_worker_publishes_only_tags_still_unacknowledged():
    client = get_redis()
    name = "pub-" + uuid.uuid4().hex[:6] + "@test"
    pending, acked = uuid.uuid4().hex, uuid.uuid4().hex
    client.hset(held.UNACKED, pending, "{}")
    held._tags.update({pending, acked})
    try:
        assert held.publish(client, name, ttl=30) == 1
        assert client.smembers(held.KEY + name) == {pending}
        assert acked not in held._tags
    finally:
        held.forget_all()
        client.hdel(held.UNACKED, pending)
        client.delete(held.KEY + name)


def test_only_one_reaper_pass_runs_at_a_time(no_lock):
    store = job_store()
    store.r.set(reaper.LOCK, "1", px=60_000)
    assert reaper.reap_once(now=time.time() + 20_000) is None
    store.r.delete(reaper.LOCK)
    assert reaper.reap_once(now=time.time()) is not None


@pytest.fixture
def backlog(monkeypatch):
    """``fill(n)``: a queue of its own, the only one the sweep reads, holding ``n`` cheap
    messages of no job the sweep looks for; returns its name."""
    client, queue = get_redis(), "backlog-" + uuid.uuid4().hex[:6]
    monkeypatch.setattr(reaper, "QUEUES", (queue,))
    # the session's workers run reaper passes too: they hold off while the test has the lock
    wait_for(lambda: client.set(reaper.LOCK, "test", nx=True, px=300_000), timeout=30,
             what="the reaper lock")
    client.delete(reaper.SWEEP, reaper.SWEEP_JOBS, reaper.SWEEP_FOUND)

    def fill(n: int) -> str:
        filler = [f'{{"headers": {{"dia3_job_id": "filler-{i % 997}"}}}}' for i in range(n)]
        for start in range(0, n, 10_000):
            client.lpush(queue, *filler[start:start + 10_000])
        return queue
    yield fill
    client.delete(queue, reaper.SWEEP, reaper.SWEEP_JOBS, reaper.SWEEP_FOUND, reaper.LOCK)


def long_silent(*job_ids: str) -> None:
    """The jobs' last sign of life long ago: the first a sweep looks for, whatever else the
    session left active."""
    job_store().mark_alive(job_ids, 1.0)


def sweep_passes(later: float) -> tuple[list[str], int]:
    """Reaper passes until one completes a sweep: (jobs it resumed, passes it took)."""
    for passes in range(1, 1000):
        resumed, _ = reaper.resume_lost_jobs(now=later)
        if not get_redis().exists(reaper.SWEEP):
            return resumed, passes
        assert resumed == []  # nothing is declared lost before the sweep is complete
    raise AssertionError("the sweep never completed")


def test_behind_a_deep_backlog_lost_jobs_are_still_found_over_several_passes(no_lock, backlog):
    tenant = "reap" + uuid.uuid4().hex[:6]
    lost, waiting = running_job(tenant), running_job(tenant)
    long_silent(lost, waiting)
    queue = backlog(25_000)
    get_redis().lpush(queue, envelope(waiting, queue))  # in the middle of 50,000 messages
    backlog(24_999)
    later = time.time() + 10_000
    resumed, passes = sweep_passes(later)
    assert passes == math.ceil(50_000 / (reaper.SCAN_SLICE * reaper.SLICES_PER_PASS)) > 1
    assert lost in resumed and waiting not in resumed
    assert job_store().get(lost).attempts == 2 and job_store().get(waiting).attempts == 1
    assert get_redis().zscore("dia3:active", waiting) == pytest.approx(later)


def test_messages_moving_during_a_sweep_are_still_found(no_lock, backlog):
    client, tenant = get_redis(), "reap" + uuid.uuid4().hex[:6]
    taken, requeued, alive = (running_job(tenant) for _ in range(3))
    long_silent(taken, requeued, alive)
    queue = backlog(30_000)
    message = envelope(taken, queue)
    client.rpush(queue, message)  # at the tail, where the sweep ends
    later = time.time() + 10_000
    assert reaper.resume_lost_jobs(now=later) == ([], [])  # the sweep has begun
    tag = uuid.uuid4().hex
    client.lrem(queue, 1, message)  # a worker takes it: unacknowledged, searched last
    client.hset(held.UNACKED, tag, message)
    reaper.seen([requeued])  # this reaper put a message of it back, behind the cursor
    job_store().heartbeat(alive)  # a step of it ran meanwhile
    try:
        resumed, _ = sweep_passes(later)
        assert not {taken, requeued, alive} & set(resumed)
        assert all(job_store().get(j).attempts == 1 for j in (taken, requeued, alive))
    finally:
        client.hdel(held.UNACKED, tag)

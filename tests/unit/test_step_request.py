"""Poison messages: the worker's main process counts the deaths of the pool process running a
step message, and only those fail the job early; deliveries lost with a whole worker count
towards the wider bound alone."""

from __future__ import annotations

import uuid

import pytest
from billiard.einfo import ExceptionWithTraceback
from billiard.exceptions import WorkerLostError
from celery.worker import state

from app import redis_keys
from app.redis_client import get_redis
from workers.runtime import job_step, step_request
from workers.smoke.tasks import add_one


def request_of(revoked: bool = False) -> step_request.StepRequest:
    """A StepRequest as the worker holds one, without the message it was built from."""
    request = step_request.StepRequest.__new__(step_request.StepRequest)
    request._already_cancelled, request._already_revoked = False, revoked
    return request


def test_crashes_are_counted_per_message_and_expire():
    task_id = uuid.uuid4().hex
    assert step_request.crashes(task_id) == 0
    step_request.record_crash(task_id)
    step_request.record_crash(task_id)
    assert step_request.crashes(task_id) == 2
    assert step_request.crashes(uuid.uuid4().hex) == 0
    assert 0 < get_redis().ttl(redis_keys.task_crashes(task_id)) <= step_request.CRASH_COUNT_TTL


def test_only_a_dead_pool_process_counts(monkeypatch):
    lost = WorkerLostError("Worker exited prematurely: signal 9 (SIGKILL)")
    assert request_of()._process_died(lost)
    assert request_of()._process_died(ExceptionWithTraceback(lost, "tb"))
    assert request_of()._process_died(SystemExit(1))
    assert not request_of(revoked=True)._process_died(SystemExit(1))  # DIA3 stopped it
    assert not request_of()._process_died(ValueError("a step's own error"))
    monkeypatch.setattr(state, "should_terminate", True)  # this worker's cold shutdown
    assert not request_of()._process_died(lost)


@pytest.fixture
def failures(monkeypatch):
    recorded = []
    monkeypatch.setattr(job_step, "record_failure",
                        lambda job_id, step, exc, app=None: recorded.append(str(exc)))
    return recorded


def poisoned(task_id: str, starts: int, retries: int = 0) -> bool:
    add_one.push_request(id=task_id, retries=retries)
    try:
        return add_one._poisoned("j1", "second", starts)
    finally:
        add_one.pop_request()


def test_a_step_fails_its_job_after_its_process_died_max_deliveries_times(failures):
    task_id = uuid.uuid4().hex
    for _ in range(4):
        step_request.record_crash(task_id)
    assert not poisoned(task_id, starts=5) and failures == []
    step_request.record_crash(task_id)
    assert poisoned(task_id, starts=6)
    assert failures == ["step second was delivered 6 times without finishing; its worker "
                        "process died 5 times (it may crash its worker)"]


def test_deliveries_lost_with_their_worker_count_only_towards_the_wider_bound(
        failures, settings_env):
    settings_env(DIA3_MAX_REDELIVERIES="12")
    task_id = uuid.uuid4().hex  # its workers were lost, its process never died
    assert not poisoned(task_id, starts=12)
    assert not poisoned(task_id, starts=14, retries=2)  # retries are deliveries of their own
    assert poisoned(task_id, starts=13) and "its workers were lost each time" in failures[0]

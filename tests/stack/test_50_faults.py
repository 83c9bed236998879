"""Faults on the container stack: a worker container SIGKILLed mid-job and Redis restarted
under load; every job still finishes and every item is counted once."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for
from tests.stack.jobs import assert_each_text_once, texts
from tests.stack.load import Load

pytestmark = pytest.mark.stack

LONG_TEXTS = 4000  # texts of about 1,000 characters: some 40 batches, tens of seconds of work


def test_docker_kill_of_a_worker_mid_job_loses_and_doubles_nothing(stack, analyst):
    items = [f"{text} " + "and it was really quite good, " * 30 for text in texts(LONG_TEXTS)]
    job = analyst.submit("sentiment", {"texts": items})
    wait_for(lambda: analyst.job(job["id"])["progress"]["done"] >= 2, 120,
             what="batches to finish")
    stack.compose("kill", "-s", "SIGKILL", "worker-agents")
    assert analyst.job(job["id"])["state"] == "running"
    stack.compose("start", "worker-agents")
    done = analyst.wait(job["id"], timeout=300)
    assert done["state"] == "succeeded", done["error"]
    assert_each_text_once(analyst.result(job["id"])["result"], LONG_TEXTS)
    restarted = [step for step in done["steps"].values() if step["starts"] > 1]
    assert restarted, "no step was running when the worker was killed"


def test_redis_restart_under_load_finishes_every_job_once(stack, analyst):
    with Load(analyst, threads=3, retry_refused=True) as load:
        load.wait_for_jobs(10)
        stack.compose("restart", "redis")
        stack.wait_healthy("redis")
        before = len(load.jobs)
        load.wait_for_jobs(before + 10, timeout=120)  # accepting jobs again
    assert load.errors == []
    assert len(set(load.jobs)) == len(load.jobs)
    for job_id in load.jobs:
        job = analyst.wait(job_id, timeout=240)
        assert job["state"] == "succeeded", (job_id, job["error"])
        assert_each_text_once(analyst.result(job_id)["result"], 12)

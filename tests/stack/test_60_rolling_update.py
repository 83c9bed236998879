"""A rolling update under load: the API and worker containers recreated one at a time
(``up -d --no-deps --force-recreate``) while clients submit and poll. No request fails and no
job is lost; a step running on a recreated worker finishes there (Celery's warm shutdown)."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for
from tests.stack.jobs import assert_each_text_once
from tests.stack.load import SENTIMENT_TEXTS, Load

pytestmark = pytest.mark.stack

ROLLED = ("api", "api-2", "worker-agents", "worker-analytics", "worker-ingest")


def wait_running(client, job_id: str, step: str) -> None:
    def running() -> bool:
        return client.job(job_id)["steps"].get(step, {}).get("state") == "running"
    wait_for(running, 60, what=f"step {step} to run")


@pytest.mark.timeout(900)  # five containers recreated one by one, then every job read back
def test_recreating_each_container_under_load_fails_nothing(stack, analyst):
    with Load(analyst, threads=4) as load:
        load.wait_for_jobs(8)
        for service in ROLLED:
            old = stack.container(service)
            if service == "worker-analytics":
                stalled = analyst.submit("smoke", {"stall_seconds": 6})
                wait_running(analyst, stalled["id"], "second")
            stack.compose("up", "-d", "--no-deps", "--force-recreate", "--wait", service)
            assert stack.container(service) != old
            before = len(load.jobs)
            load.wait_for_jobs(before + 4)
    assert load.errors == []
    for job_id in load.jobs:
        job = analyst.wait(job_id, timeout=240)
        assert job["state"] == "succeeded", (job_id, job["error"])
        assert_each_text_once(analyst.result(job_id)["result"], SENTIMENT_TEXTS)
    warm = analyst.wait(stalled["id"], timeout=60)
    assert warm["state"] == "succeeded", warm["error"]
    assert warm["steps"]["second"]["starts"] == 1  # finished during the warm shutdown

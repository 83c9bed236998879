"""Queue backpressure: a job whose queue is over DIA3_QUEUE_MAX_DEPTH is refused with a 503
and Retry-After, nothing is recorded, and /readyz and /metrics show it.

Each test sends its jobs' depth checks to a queue of its own (a throwaway workflow), filled
with placeholder messages that no worker listens for.
"""

import re
import uuid

import pytest

from app.backpressure import DepthCache
from app.redis_client import get_redis
from app.workflows import registry
from app.workflows.smoke import steps as smoke_steps
from app.workflows.smoke import workflow as smoke
from app.workflows.steps import Step
from tests.conftest import wait_for

LIMIT = 3


@pytest.fixture
def private_queue(monkeypatch, settings_env):
    """(workflow name, queue name) of a smoke-like workflow whose queue nobody consumes,
    with DIA3_QUEUE_MAX_DEPTH=3."""
    name = f"bp-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(registry._REGISTRY, name, registry.Workflow(
        name=name, description="test", schema=smoke.SmokeParams, build=smoke.build,
        steps=(Step(smoke_steps.ADD_ONE.name, queue=name),)))
    settings_env(DIA3_QUEUE_MAX_DEPTH=str(LIMIT))
    yield name, name
    get_redis().delete(name)


def fill(queue: str, n: int) -> None:
    get_redis().lpush(queue, *[f"placeholder-{i}" for i in range(n)])


def test_a_full_queue_refuses_jobs_without_recording_them(analyst, private_queue):
    workflow, queue = private_queue
    fill(queue, LIMIT + 1)
    refused = analyst.submit(workflow, {"start": 1}, idempotency_key="once")
    body = refused.get_json()
    assert refused.status_code == 503, body
    assert refused.headers["Retry-After"] == "10"
    assert body["errors"] == {"queue": queue, "depth": LIMIT + 1, "limit": LIMIT}
    assert "DIA3_QUEUE_MAX_DEPTH" in body["message"]
    assert analyst.get("/api/v1/jobs").get_json()["items"] == []

    get_redis().rpop(queue)  # back at the limit: admitted once the cached depth is fresh

    def admitted():
        response = analyst.submit(workflow, {"start": 1}, idempotency_key="once")
        assert response.status_code in (202, 503), response.get_json()
        return response if response.status_code == 202 else None
    accepted = wait_for(admitted, timeout=10, interval=0.1, what="the job to be admitted")
    assert accepted.get_json()["workflow"] == workflow  # a new job: nothing was kept


def test_readyz_and_metrics_show_backpressure(analyst, flask_app, private_queue):
    workflow, queue = private_queue
    fill(queue, LIMIT + 2)
    assert analyst.submit(workflow, {}).status_code == 503
    ready = flask_app.test_client().get("/readyz").get_json()
    queues = ready["checks"]["queues"]
    assert queues["max_depth"] == LIMIT and queues["depth"][queue] == LIMIT + 2
    assert queue in queues["backpressure"] and queues["depth"]["default"] >= 0
    assert not any("queue" in reason for reason in ready["missing"])  # reported, not unready
    text = flask_app.test_client().get("/metrics").get_data(as_text=True)
    assert f'dia3_backpressure_rejections_total{{queue="{queue}"}} 1.0' in text
    assert f'dia3_queue_backpressure{{queue="{queue}"}} 1.0' in text
    assert re.search(r'dia3_queue_backpressure\{queue="default"\} [01]\.0', text)


def test_off_when_the_limit_is_zero(analyst, private_queue, settings_env):
    workflow, queue = private_queue
    fill(queue, LIMIT + 1)
    settings_env(DIA3_QUEUE_MAX_DEPTH="0")
    assert analyst.submit(workflow, {}).status_code == 202


def test_depths_are_read_once_per_second_in_one_round_trip(private_queue):
    _, queue = private_queue
    now, reads = [100.0], []

    def client():
        reads.append(1)
        return get_redis()
    cache = DepthCache(client, ttl=1.0, clock=lambda: now[0])
    fill(queue, 2)
    assert cache.depth(queue) == 2 and cache.depth("default") >= 0
    fill(queue, 1)
    assert cache.depth(queue) == 2 and len(reads) == 1  # cached
    now[0] += 1.5
    assert cache.depth(queue) == 3 and len(reads) == 2


def test_mcp_tools_report_backpressure_as_an_actionable_error():
    from mcp.server.mcpserver.exceptions import ToolError

    from app.backpressure import QueueFull
    from app.mcp.server import service_errors
    with pytest.raises(ToolError, match="over the limit of 3 .DIA3_QUEUE_MAX_DEPTH"):
        with service_errors():
            raise QueueFull("agents", 9, 3)

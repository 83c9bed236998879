"""Faults: a worker process killed mid-job, and Redis going away under the API."""

import os
import signal
import uuid

from app.extensions import job_store
from tests.conftest import ApiClient, reset_process_state


def test_sigkill_of_a_pool_process_mid_job_still_scores_each_item_once(analyst, worker):
    sentence = "I adore the colours but hate the noise, and the price is fair enough. "
    texts = [f"{i}: " + sentence * 40 for i in range(600)]
    job_id = analyst.submit("sentiment", {"texts": texts}).get_json()["id"]
    store = job_store()
    step, pid = worker.wait_running_step(job_id)
    assert pid in worker.pool_pids()
    os.kill(pid, signal.SIGKILL)

    job = analyst.wait(job_id, timeout=240)
    assert job["state"] == "succeeded", job["error"]
    steps = store.steps(job_id)
    assert steps[step]["starts"] >= 2, "the killed step must have been delivered again"
    assert all(s["state"] == "done" for s in steps.values())
    result = analyst.get(f"/api/v1/jobs/{job_id}/result").get_json()["result"]
    assert [item["index"] for item in result["items"]] == list(range(len(texts)))
    assert result["count"] == len(texts) == sum(result["counts"].values())
    assert pid not in worker.pool_pids()  # the pool replaced the process


def test_api_answers_503_while_redis_is_down_and_recovers(tmp_path, monkeypatch, flask_app):
    """A Redis of our own that we stop and start again (a real server process)."""
    from app.api import create_app
    from app.runtime.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(tmp_path)
    monkeypatch.setenv("DIA3_REDIS_URL", server.start())
    reset_process_state()
    try:
        app = create_app()
        from tests.conftest import ADMIN_KEY
        client = ApiClient(app, ADMIN_KEY)
        assert client.get("/api/v1/jobs").status_code == 200
        accepted = client.submit("smoke", {}).get_json()["id"]
        server.stop()

        response = client.get("/api/v1/jobs")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert "Redis" in response.get_json()["message"]
        during = uuid.uuid4().hex
        submit = client.submit("smoke", {}, idempotency_key=during)
        assert submit.status_code == 503 and submit.headers["Retry-After"] == "5"
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["missing"][0].startswith("redis")
        assert app.test_client().get("/healthz").status_code == 200
        assert app.test_client().get("/metrics").status_code == 200

        server.start()
        listed = client.get("/api/v1/jobs").get_json()["items"]  # keys survived (AOF)
        assert [job["id"] for job in listed] == [accepted]  # kept, and nothing half-written
        assert client.get(f"/api/v1/jobs/{accepted}").get_json()["state"] == "queued"
        again = client.submit("smoke", {}, idempotency_key=during)
        assert again.status_code == 202  # the refused submission left no job behind
        ready = app.test_client().get("/readyz").get_json()
        assert ready["checks"]["redis"]["ok"] is True
        assert "workers" in ready["missing"][0]  # nobody works on this Redis: says so
    finally:
        server.stop()
        monkeypatch.undo()
        reset_process_state()


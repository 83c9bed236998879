"""``dia3 flower`` on DIA3's broker: it shows DIA3's workers and a job's tasks (named
``dia3.<area>.<action>``, with ids ``<job id>-<step>``) through its API with basic auth, and
refuses anonymous or wrongly authenticated API calls."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from tests.conftest import wait_for
from tests.ui.processes import serving

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def flower(dia3_env, worker, tmp_path_factory):
    auth = ("ops", "pw-" + uuid.uuid4().hex)
    with serving("flower", {"DIA3_FLOWER_USER": auth[0], "DIA3_FLOWER_PASSWORD": auth[1]},
                 tmp_path_factory.mktemp("flower"), "/healthcheck") as url:
        yield url, auth


def test_anonymous_and_wrong_credentials_are_refused(flower):
    url, (user, _) = flower
    for path in ("/api/workers", "/api/tasks", "/api/task/types", "/"):
        assert requests.get(url + path, timeout=10).status_code == 401, path
        assert requests.get(url + path, auth=(user, "wrong"), timeout=10).status_code == 401
    revoke = requests.post(url + "/api/task/revoke/x", timeout=10)
    assert revoke.status_code in (401, 403)


def test_flower_shows_dias_worker_and_a_jobs_tasks(flower, worker, analyst):
    url, auth = flower

    def get(path: str, **params):
        response = requests.get(url + path, params=params, auth=auth, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    # Flower has joined the event stream once it has seen the worker's heartbeats.
    wait_for(lambda: get("/api/workers", status="true").get(worker.name), timeout=30,
             interval=0.2, what="Flower to see the worker's heartbeats")
    workers = get("/api/workers", refresh="true")
    assert "dia3.sentiment.score_batch" in workers[worker.name]["registered"]
    assert {q["name"] for q in workers[worker.name]["active_queues"]} == {
        "default", "ingest", "agents", "analytics", "webhooks"}

    response = analyst.submit("sentiment", {"texts": ["good", "bad"]})
    job = analyst.wait(response.get_json()["id"])
    assert job["state"] == "succeeded"
    expected = {job["tasks"]["batch-00000"]: "dia3.sentiment.score_batch",
                job["tasks"]["aggregate"]: "dia3.sentiment.aggregate"}
    assert set(expected) == {f"{job['id']}-batch-00000", f"{job['id']}-aggregate"}

    def seen() -> dict | None:
        tasks = get("/api/tasks", search=job["id"])
        done = {tid: t for tid, t in tasks.items() if t.get("state") == "SUCCESS"}
        return done if set(done) == set(expected) else None
    tasks = wait_for(seen, timeout=30, interval=0.2, what="Flower to record the job's tasks")
    assert {tid: t["name"] for tid, t in tasks.items()} == expected
    assert {t["worker"] for t in tasks.values()} == {worker.name}
    info = get(f"/api/task/info/{job['id']}-aggregate")
    assert info["state"] == "SUCCESS" and info["name"] == "dia3.sentiment.aggregate"


def test_metrics_are_exported_for_prometheus(flower):
    url, _ = flower

    def exported() -> bool:
        response = requests.get(url + "/metrics", timeout=10)
        assert response.status_code == 200
        return "flower_events_total{" in response.text  # counted from the worker's events
    wait_for(exported, timeout=30, interval=0.2, what="Flower's event metrics")


def test_flower_and_the_worker_log_show_ids_and_sizes_never_a_tenants_text(flower, worker,
                                                                        analyst):
    """Task events (what Flower shows to anyone with its login) and Celery's log lines carry
    argument reprs DIA3 sets: the job id and step name, and each argument's type and size."""
    url, auth = flower
    planted = "planted-" + uuid.uuid4().hex
    response = analyst.submit("sentiment", {"texts": [f"{planted} is lovely", "awful"],
                                            "ids": [f"{planted}-id", "b"]})
    job = analyst.wait(response.get_json()["id"])
    assert job["state"] == "succeeded"

    def recorded() -> dict | None:
        tasks = requests.get(url + "/api/tasks", params={"search": job["id"]}, auth=auth,
                             timeout=10).json()
        done = {tid: t for tid, t in tasks.items() if t.get("state") == "SUCCESS"}
        return done if len(done) == 2 else None
    tasks = wait_for(recorded, timeout=30, interval=0.2, what="Flower to record the tasks")
    batch = requests.get(f"{url}/api/task/info/{job['tasks']['batch-00000']}", auth=auth,
                         timeout=10).json()
    assert batch["args"] == "(list[2], int)"
    assert batch["kwargs"] == (f"{{'job_id': '{job['id']}', 'step': 'batch-00000', "
                               "'backend': str[5]}")
    for task_id in tasks:
        shown = requests.get(f"{url}/api/task/info/{task_id}", auth=auth, timeout=10).text
        assert planted not in shown
    assert planted not in json.dumps(tasks)
    assert planted not in worker.log_text()

"""Jobs end to end: API (in-process) → Redis → real ``dia3 worker`` processes."""

import json
import re
import uuid
from pathlib import Path

import psutil
import pytest
import requests
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from app.extensions import job_store
from tests.conftest import wait_for

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "app" / "data" /
                     "sample_reviews.json").read_text())


def test_sentiment_scores_equal_vader_and_aggregate_is_correct(analyst, worker):
    texts, ids, stamps = SAMPLE["texts"][:230], SAMPLE["ids"][:230], SAMPLE["timestamps"][:230]
    response = analyst.submit("sentiment", {"texts": texts, "ids": ids, "timestamps": stamps,
                                            "bucket": "day"})
    assert response.status_code == 202
    job = analyst.wait(response.get_json()["id"])
    assert job["state"] == "succeeded", job["error"]
    assert job["progress"]["done"] == job["progress"]["total"] == 6  # 5 batches + aggregate
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    vader = SentimentIntensityAnalyzer()
    expected = [vader.polarity_scores(t)["compound"] for t in texts]
    assert [item["compound"] for item in result["items"]] == expected
    assert [item["id"] for item in result["items"]] == ids
    counts = {"positive": sum(c >= 0.05 for c in expected),
              "negative": sum(c <= -0.05 for c in expected)}
    counts["neutral"] = len(texts) - counts["positive"] - counts["negative"]
    assert result["counts"] == counts
    assert result["mean"] == pytest.approx(sum(expected) / len(expected))
    assert sum(p["count"] for p in result["trend"]["points"]) == len(texts)
    assert result["trend"]["bucket"] == "day"


def test_idempotency_key_returns_the_same_job(analyst, worker):
    first = analyst.submit("smoke", {"start": 3}, idempotency_key="once-only")
    second = analyst.submit("smoke", {"start": 3}, idempotency_key="once-only")
    assert first.status_code == 202 and second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"]
    assert analyst.wait(first.get_json()["id"])["state"] == "succeeded"
    result = analyst.get(f"/api/v1/jobs/{first.get_json()['id']}/result").get_json()
    assert result["result"] == {"value": 5}


def test_list_filters_and_pagination(analyst, worker):
    smoke = [analyst.submit("smoke", {"start": i}).get_json()["id"] for i in range(5)]
    senti = analyst.submit("sentiment", {"texts": ["good", "bad"]}).get_json()["id"]
    for job_id in smoke + [senti]:
        analyst.wait(job_id)
    seen, cursor = [], None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = analyst.get(f"/api/v1/jobs{query}").get_json()
        assert len(page["items"]) <= 2
        seen += [j["id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [senti] + smoke[::-1]
    only_smoke = analyst.get("/api/v1/jobs?workflow=smoke&state=succeeded").get_json()
    assert [j["id"] for j in only_smoke["items"]] == smoke[::-1]
    assert analyst.get("/api/v1/jobs?state=failed").get_json()["items"] == []


def long_texts(n: int) -> list[str]:
    sentence = "The service was slow and awful, yet the staff were lovely and kind. "
    return [sentence * 60] * n  # ~4,000 characters: tens of ms of VADER each


def test_cancel_stops_a_long_job_and_finished_jobs_cannot_be_cancelled(analyst, worker):
    job = analyst.submit("sentiment", {"texts": long_texts(1500)}).get_json()
    wait_for(lambda: job_store().steps(job["id"]), timeout=60, what="the first step to start")
    cancelled = analyst.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    at_once = job_store().steps(job["id"])  # ended with the job, in the same change
    assert {rec["state"] for rec in at_once.values()} <= {"done", "stopped", "not_run"}
    assert set(at_once) == set(job["tasks"])

    def quiet():
        steps = job_store().steps(job["id"])
        return all(s["state"] != "running" for s in steps.values()) and steps
    steps = wait_for(quiet, timeout=60, what="running steps to stop")
    final = analyst.get(f"/api/v1/jobs/{job['id']}").get_json()
    assert final["state"] == "cancelled"
    assert final["progress"]["done"] < final["progress"]["total"]
    # the workers are free again: a new job runs straight through
    assert analyst.wait(analyst.submit("smoke", {}).get_json()["id"], 60)["state"] == \
        "succeeded"
    assert len(job_store().steps(job["id"])) <= len(steps) + 2  # nothing new ran after
    again = analyst.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert again.status_code == 409 and again.get_json()["errors"]["state"] == "cancelled"


def test_delete_removes_a_finished_job_but_not_an_active_one(analyst, worker):
    job_id = analyst.submit("smoke", {}).get_json()["id"]
    assert analyst.wait(job_id)["state"] == "succeeded"
    assert analyst.delete(f"/api/v1/jobs/{job_id}").status_code == 204
    assert analyst.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert analyst.get(f"/api/v1/jobs/{job_id}/result").status_code == 404
    active = analyst.submit("sentiment", {"texts": long_texts(400)}).get_json()["id"]
    response = analyst.delete(f"/api/v1/jobs/{active}")
    assert response.status_code == 409 and "cancel it first" in response.get_json()["message"]
    analyst.post(f"/api/v1/jobs/{active}/cancel")


def test_result_of_unfinished_job_is_409(analyst, worker):
    job_id = analyst.submit("sentiment", {"texts": long_texts(400)}).get_json()["id"]
    response = analyst.get(f"/api/v1/jobs/{job_id}/result")
    assert response.status_code == 409
    analyst.post(f"/api/v1/jobs/{job_id}/cancel")


def test_failure_inside_a_chord_fails_the_job_with_step_and_reason(worker):
    """A header step of a chord raises: the job ends failed, naming that step and the error,
    and the chord callback never runs."""
    from celery import chord

    from app.extensions import celery as get_celery
    from app.jobs.store import new_job_id
    from app.workflows.registry import Plan
    from app.workflows.smoke import steps as smoke_steps
    store = job_store()
    job_id = new_job_id()
    plan = Plan(job_id, "req-fail", get_celery())
    canvas = chord([plan.step(smoke_steps.ADD_ONE, "good", 1, fan_in=True),
                    plan.step(smoke_steps.ADD_ONE, "bad", "not a number", fan_in=True)],
                   plan.step(smoke_steps.FINISH, "finish"))
    store.create(job_id=job_id, workflow="smoke", tenant="chordfail", owner="k", params={},
                 steps_total=plan.steps_total, tasks=plan.tasks)
    canvas.apply_async()
    job = wait_for(lambda: store.get(job_id) if store.get(job_id).finished else None, 60)
    assert job.state == "failed"
    assert job.error["step"] == "bad" and job.error["type"] == "TypeError"
    assert "str" in job.error["message"]
    steps = store.steps(job_id)
    assert steps["finish"] == {"state": "not_run", "starts": 0}  # the callback never ran
    assert steps["bad"]["state"] == "failed" and steps["good"]["state"] in ("done", "stopped")


def test_correlation_id_reaches_worker_logs(analyst, worker):
    rid = "corr-" + uuid.uuid4().hex
    job_id = analyst.post("/api/v1/jobs", json={"workflow": "smoke", "params": {}},
                          headers={"X-Request-ID": rid}).get_json()["id"]
    assert analyst.wait(job_id)["state"] == "succeeded"

    def logged():
        lines = [json.loads(line) for line in worker.log_text().splitlines()
                 if rid in line and line.startswith("{")]
        return [entry for entry in lines if entry.get("job_id") == job_id]
    entries = wait_for(logged, 10, what="worker log lines with the request id")
    assert {e["request_id"] for e in entries} == {rid}
    assert any(e.get("task_id", "").startswith(job_id) for e in entries)


def scrape(port: int) -> str:
    return requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


def counter(text: str, name: str, **labels) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_worker_metrics_add_up_across_processes(analyst, worker):
    """Both prefork processes score batches; the worker's one /metrics counts them all."""
    def batches_done() -> float:
        return counter(scrape(worker.metrics_port), "dia3_tasks_total",
                       task="dia3.sentiment.score_batch", outcome="succeeded")
    worker.wait_idle()
    before = batches_done()
    job_id = analyst.submit("sentiment", {"texts": long_texts(200)}).get_json()["id"]
    assert analyst.wait(job_id, timeout=180)["state"] == "succeeded"
    steps = job_store().steps(job_id)
    batches = [s for name, s in steps.items() if name.startswith("batch-")]
    assert len(batches) >= 4
    assert len({s["worker"] for s in batches}) == 2, "both prefork processes should have worked"
    assert batches_done() - before == len(batches)
    text = scrape(worker.metrics_port)
    assert counter(text, "dia3_jobs_finished_total", workflow="sentiment",
                   state="succeeded") >= 1
    assert re.search(r'dia3_task_runtime_seconds_count\{task="dia3.sentiment.aggregate"\}',
                     text)


def test_worker_metrics_listen_on_loopback_by_default(worker):
    """Like every other embedded default, the metrics server binds DIA3_WORKER_METRICS_HOST
    (127.0.0.1); it was hard-coded to 0.0.0.0."""
    listening = {(c.laddr.ip, c.laddr.port) for c in
                 psutil.Process(worker.proc.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN}
    assert ("127.0.0.1", worker.metrics_port) in listening
    assert not [address for address in listening if address[1] == worker.metrics_port
                and address[0] != "127.0.0.1"]


def test_api_metrics_expose_requests_queues_and_workers(analyst, flask_app, worker):
    analyst.get("/api/v1/workflows")
    analyst.submit("smoke", {})
    text = flask_app.test_client().get("/metrics").get_data(as_text=True)
    assert 'dia3_http_requests_total{method="GET",route="/api/v1/workflows",status="200"}' in text
    assert 'dia3_queue_length{queue="agents"}' in text
    assert counter(text, "dia3_jobs_submitted_total", workflow="smoke") >= 1
    assert re.search(r"^dia3_workers_up [1-9]", text, re.M)


def test_readyz_reports_workers(flask_app, worker):
    body = flask_app.test_client().get("/readyz").get_json()
    assert body["status"] == "ready" and worker.name in body["checks"]["workers"]["hostnames"]

"""Recovery on real workers: a whole worker lost mid-job, a poison message, and re-running
a failed job from its failed step (REST API and ``dia3 jobs retry``)."""

import os
import re
import signal
import subprocess
import sys

from app import audit
from app.extensions import job_store
from tests.conftest import ADMIN_KEY, ROOT, start_worker
from tests.ui.processes import serving


def test_a_whole_worker_lost_mid_job_has_its_steps_rerun_within_the_lost_after_bound(
        analyst, worker, tmp_path):
    doomed = start_worker(tmp_path, concurrency=1)
    sentence = "The service was slow but the staff were lovely and the food superb. "
    texts = [f"{i}: " + sentence * 30 for i in range(1200)]
    job_id = analyst.submit("sentiment", {"texts": texts}).get_json()["id"]
    store = job_store()
    step, _ = doomed.wait_running_step(job_id, timeout=90)
    for pid in [*doomed.pool_pids(), doomed.proc.pid]:  # the whole node: main process too
        os.kill(pid, signal.SIGKILL)
    doomed.proc.wait()

    # The visibility timeout is an hour; finishing in minutes proves the re-dispatch.
    job = analyst.wait(job_id, timeout=240)
    assert job["state"] == "succeeded", job["error"]
    assert store.steps(job_id)[step]["starts"] >= 2
    assert "step messages of lost workers requeued" in worker.log_text()
    result = analyst.get(f"/api/v1/jobs/{job_id}/result").get_json()["result"]
    assert [item["index"] for item in result["items"]] == list(range(len(texts)))


def test_a_step_that_kills_its_worker_every_time_fails_the_job_with_the_reason(
        analyst, worker):
    job_id = analyst.submit("smoke", {"start": 1, "crash": True}).get_json()["id"]
    job = analyst.wait(job_id, timeout=180)
    assert job["state"] == "failed"
    assert job["error"]["step"] == "second" and job["error"]["type"] == "PermanentError"
    assert "was delivered 6 times without finishing; its worker process died 5 times" in (
        job["error"]["message"])
    assert worker.proc.poll() is None  # the worker survived its crashing pool processes


def test_a_failed_job_is_retried_from_its_failed_step(analyst, make_client, worker):
    job_id = analyst.submit("smoke", {"start": 40, "fail_attempts": 1}).get_json()["id"]
    failed = analyst.wait(job_id)
    assert failed["state"] == "failed" and failed["error"]["step"] == "second"
    assert {step: rec["state"] for step, rec in failed["steps"].items()} == {
        "first": "done", "second": "failed", "finish": "not_run"}  # none left "running"
    assert make_client("viewer").post(f"/api/v1/jobs/{job_id}/retry").status_code == 403

    response = analyst.post(f"/api/v1/jobs/{job_id}/retry")
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["attempts"] == 2 and response.get_json()["error"] is None
    job = analyst.wait(job_id)
    assert job["state"] == "succeeded" and job["attempts"] == 2
    assert analyst.get(f"/api/v1/jobs/{job_id}/result").get_json()["result"] == {"value": 42}
    steps = job_store().steps(job_id)
    assert {rec["state"] for rec in steps.values()} == {"done"}  # not_run ran this time
    assert steps["first"]["starts"] == 1  # done before the failure: replayed, not re-run
    assert steps["second"]["starts"] == 1  # its delivery count started afresh
    conflict = analyst.post(f"/api/v1/jobs/{job_id}/retry")
    assert conflict.status_code == 409 and conflict.get_json()["errors"]["state"] == "succeeded"
    audited = [(e.outcome, e.status) for e in
               audit.query(action="job.retry", target=f"job:{job_id}").items]
    assert sorted(audited, key=str) == sorted([("ok", None), ("denied", 403), ("error", 409)],
                                              key=str)


def test_dia3_jobs_retry_reruns_a_failed_job(analyst, worker, tmp_path):
    job_id = analyst.submit("smoke", {"start": 1, "fail_attempts": 1}).get_json()["id"]
    assert analyst.wait(job_id)["state"] == "failed"
    with serving("api", {"DIA3_API_WORKERS": "1"}, tmp_path, "/healthz") as url:
        out = subprocess.run(
            [sys.executable, "-m", "app.cli", "jobs", "retry", job_id], cwd=ROOT,
            env={**os.environ, "DIA3_API_URL": url, "DIA3_API_KEY": ADMIN_KEY},
            capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # the answer shows the job as it is then: a quick worker may have started or finished it
    assert re.search(rf"job {job_id} (queued|running|succeeded) \(attempt 2\)", out.stdout)
    assert analyst.wait(job_id)["state"] == "succeeded"


def test_a_step_past_its_soft_time_limit_fails_the_job_with_the_limit(analyst, worker):
    job_id = analyst.submit("smoke", {"stall_seconds": 30, "time_limit": 1}).get_json()["id"]
    job = analyst.wait(job_id, timeout=60)
    assert job["state"] == "failed" and job["error"]["step"] == "second"
    assert job["error"] == {"type": "TimeLimitExceeded", "step": "second",
                            "message": "step exceeded its time limit (1 s)"}


def test_a_step_ignoring_its_soft_limit_is_killed_at_the_hard_limit(analyst, worker):
    job_id = analyst.submit("smoke", {"stall_seconds": 30, "time_limit": 1,
                                      "ignore_soft_limit": True}).get_json()["id"]
    job = analyst.wait(job_id, timeout=60)
    assert job["state"] == "failed" and job["error"]["type"] == "TimeLimitExceeded"
    assert job["error"]["message"] == ("step exceeded its hard time limit (3 s) and its "
                                       "process was killed")
    assert job["error"]["step"] == "second"


def test_fault_injection_is_refused_unless_enabled(analyst, settings_env):
    settings_env(DIA3_DIAGNOSTIC_FAULTS="false")
    analyst.assert_param_error("smoke", {"crash": True}, ["crash"])
    analyst.assert_param_error("smoke", {"stall_seconds": 5}, ["stall_seconds"])

"""Pipelines end to end: the API (in-process) submits the parent, real ``dia3 worker``
processes run the advance and every stage's child job."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from app.extensions import job_store
from app.jobs import events
from app.workflows.registry import get_workflow
from tests.conftest import wait_for


@pytest.fixture(scope="module")
def example_file(tmp_path_factory):
    """The first published pipeline example (three smoke stages) as a params file."""
    path = tmp_path_factory.mktemp("pipeline") / "params.json"
    path.write_text(json.dumps(get_workflow("pipeline").examples[0].params))
    return path


def chained(*stage_params: dict) -> dict:
    """Smoke stages ``s0``, ``s1``, … each starting from the value the one before reached."""
    stages = [{"name": "s0", "workflow": "smoke", "params": stage_params[0]}]
    for i, params in enumerate(stage_params[1:], start=1):
        stages.append({"name": f"s{i}", "workflow": "smoke", "params": params,
                       "inputs": {"start": {"from": f"s{i - 1}", "path": "value"}}})
    return {"stages": stages}


def children(client, parent_id: str) -> dict[str, dict]:
    """The parent's child jobs by stage name (from ``GET /jobs?parent_id=``)."""
    items = client.get(f"/api/v1/jobs?parent_id={parent_id}").get_json()["items"]
    steps = client.get(f"/api/v1/jobs/{parent_id}").get_json()["steps"]
    by_id = {step["job_id"]: name for name, step in steps.items() if "job_id" in step}
    assert all(item["parent_id"] == parent_id for item in items)
    return {by_id[item["id"]]: item for item in items}


def test_three_smoke_stages_run_in_order_with_mapped_inputs(analyst, worker):
    response = analyst.submit("pipeline", chained({"start": 1}, {}, {}))
    assert response.status_code == 202, response.get_json()
    job = analyst.wait(response.get_json()["id"])
    assert job["state"] == "succeeded", job["error"]
    assert job["progress"]["done"] == job["progress"]["total"] == 3
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    assert result["results"] == {"s0": {"value": 3}, "s1": {"value": 5}, "s2": {"value": 7}}
    stages = children(analyst, job["id"])
    assert {name: child["id"] for name, child in stages.items()} == {
        name: stage["job_id"] for name, stage in result["stages"].items()}
    assert all(child["state"] == "succeeded" for child in stages.values())
    child_events = events.job_events(stages["s1"]["id"])
    assert child_events and all(fields["parent_id"] == job["id"] for _, fields in child_events)
    steps = analyst.get(f"/api/v1/jobs/{job['id']}").get_json()["steps"]
    assert {name: step["state"] for name, step in steps.items()} == dict.fromkeys(
        ("s0", "s1", "s2"), "done")


def test_a_failed_stage_fails_the_pipeline_and_retry_goes_on_from_it(analyst, worker):
    params = chained({"start": 0}, {"fail_attempts": 1}, {})
    job = analyst.wait(analyst.submit("pipeline", params).get_json()["id"])
    assert job["state"] == "failed"
    assert job["error"]["step"] == "s1"
    assert job["error"]["message"].startswith("stage s1 failed: deliberate failure")
    before = children(analyst, job["id"])
    assert set(before) == {"s0", "s1"}  # s2 never started
    assert before["s1"]["state"] == "failed"

    assert analyst.post(f"/api/v1/jobs/{job['id']}/retry").status_code == 202
    job = analyst.wait(job["id"])
    assert job["state"] == "succeeded", job["error"]
    after = children(analyst, job["id"])
    assert after["s0"]["id"] == before["s0"]["id"] and after["s0"]["attempts"] == 1
    assert after["s1"]["id"] == before["s1"]["id"] and after["s1"]["attempts"] == 2
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    assert result["results"]["s2"] == {"value": 6}


def test_cancelling_the_pipeline_cancels_its_running_stage_and_retry_resumes(analyst, worker):
    params = {"stages": [
        {"name": "slow", "workflow": "smoke", "params": {"stall_seconds": 4}},
        {"name": "next", "workflow": "smoke", "after": ["slow"]}]}
    parent = analyst.submit("pipeline", params).get_json()["id"]

    def running_child():
        step = job_store().steps(parent).get("slow", {})
        child = step.get("job_id")
        return child if child and job_store().state(child) == "running" else None
    child = wait_for(running_child, timeout=60, what="the slow stage to run")
    response = analyst.post(f"/api/v1/jobs/{parent}/cancel")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "cancelled"
    assert analyst.wait(child)["state"] == "cancelled"
    assert set(children(analyst, parent)) == {"slow"}

    assert analyst.post(f"/api/v1/jobs/{parent}/retry").status_code == 202
    assert analyst.wait(parent)["state"] == "succeeded"
    stages = children(analyst, parent)
    assert stages["slow"]["id"] == child and stages["slow"]["attempts"] == 2
    assert stages["next"]["state"] == "succeeded"


def test_a_mapped_input_of_the_wrong_type_is_a_422_naming_it(analyst):
    params = {"stages": [
        {"name": "count", "workflow": "smoke"},
        {"name": "mood", "workflow": "sentiment",
         "inputs": {"texts": {"from": "count", "path": "value"}}}]}
    analyst.assert_param_error("pipeline", params, ["stages", "1", "inputs", "texts"])


def test_repeated_advances_and_the_reaper_make_no_second_child(analyst, worker, dia3_env):
    from app.workflows.pipeline import runner
    from workers.runtime import reaper
    params = {"stages": [{"name": "slow", "workflow": "smoke", "params": {"stall_seconds": 30}},
                         {"name": "next", "workflow": "smoke", "after": ["slow"]}]}
    parent = analyst.submit("pipeline", params).get_json()["id"]
    child = wait_for(lambda: job_store().steps(parent).get("slow", {}).get("job_id"),
                     timeout=60, what="the slow stage to start")
    assert runner.advance(parent) == runner.advance(parent) == "running"
    assert set(children(analyst, parent)) == {"slow"}
    # Much later, with the pipeline quiet: it is nudged, not re-dispatched as lost.
    before = job_store().get(parent).heartbeat_at
    later = time.time() + float(dia3_env.get("DIA3_JOB_HEARTBEAT_TIMEOUT", 120)) + 5
    resumed, failed = reaper.resume_lost_jobs(now=later)
    assert parent not in resumed and parent not in failed
    wait_for(lambda: job_store().get(parent).heartbeat_at > before, timeout=30,
             what="the nudged advance to run")
    assert job_store().get(parent).attempts == 1
    assert [c["id"] for c in children(analyst, parent).values()] == [child]
    analyst.post(f"/api/v1/jobs/{parent}/cancel")


def test_the_cli_lists_a_pipelines_stages_and_shows_its_result(dia3, example_file):
    submitted = dia3("submit", "pipeline", "--params-file", str(example_file), "--wait",
                     "--json")
    assert submitted.returncode == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    assert job["state"] == "succeeded" and job["result"]["results"]["third"] == {"value": 7}
    parent = job["id"]
    listed = dia3("jobs", "list", "--parent", parent[:12])
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("smoke") == 3 and "succeeded" in listed.stdout
    shown = dia3("jobs", "show", parent[:12])
    assert shown.returncode == 0, shown.stderr
    assert "third" in shown.stdout


def test_an_input_path_missing_from_the_result_fails_its_stage(analyst, worker):
    params = {"stages": [
        {"name": "s0", "workflow": "smoke"},
        {"name": "s1", "workflow": "smoke",
         "inputs": {"start": {"from": "s0", "path": "totals[0]"}}}]}
    job = analyst.wait(analyst.submit("pipeline", params).get_json()["id"])
    assert job["state"] == "failed"
    assert job["error"] == {"type": "StageFailed", "step": "s1", "message":
                            "stage s1 failed: input 'start' from stage s0: the result has no "
                            "key 'totals'."}


def test_independent_stages_run_side_by_side_and_a_join_waits_for_both(analyst, worker):
    params = {"stages": [
        {"name": "left", "workflow": "smoke", "params": {"start": 10}},
        {"name": "right", "workflow": "smoke", "params": {"start": 20}},
        {"name": "join", "workflow": "smoke", "after": ["right"],
         "inputs": {"start": {"from": "left", "path": "value"}}}]}
    job = analyst.wait(analyst.submit("pipeline", params).get_json()["id"])
    assert job["state"] == "succeeded", job["error"]
    stages = children(analyst, job["id"])
    assert stages["join"]["created_at"] >= max(stages["left"]["finished_at"],
                                               stages["right"]["finished_at"])
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    assert result["results"] == {"left": {"value": 12}, "right": {"value": 22},
                                 "join": {"value": 14}}


def test_deleting_a_pipeline_deletes_its_child_jobs(analyst, worker):
    job = analyst.wait(analyst.submit("pipeline", chained({"start": 1}, {})).get_json()["id"])
    assert job["state"] == "succeeded", job["error"]
    stage_ids = [child["id"] for child in children(analyst, job["id"]).values()]
    assert len(stage_ids) == 2
    assert analyst.delete(f"/api/v1/jobs/{job['id']}").status_code == 204
    for job_id in (job["id"], *stage_ids):
        assert analyst.get(f"/api/v1/jobs/{job_id}").status_code == 404


def test_a_pipeline_with_an_active_child_is_not_deleted_at_all(make_client):
    store, tenant = job_store(), f"t{uuid.uuid4().hex[:10]}"
    analyst = make_client("analyst", tenant)
    parent, done, active = (uuid.uuid4().hex for _ in range(3))
    store.create(job_id=parent, workflow="pipeline", tenant=tenant, owner="k",
                 params={"stages": []}, steps_total=1, tasks={})
    store.finish(parent, "only", {"results": {}}, 0.1)
    for child in (done, active):
        store.create(job_id=child, workflow="smoke", tenant=tenant, owner="k", params={},
                     steps_total=1, tasks={}, parent_id=parent)
    store.finish(done, "only", {"value": 1}, 0.1)
    response = analyst.delete(f"/api/v1/jobs/{parent}")
    assert response.status_code == 409, response.get_json()
    assert active in json.dumps(response.get_json())
    for job_id in (parent, done, active):  # nothing was deleted
        assert analyst.get(f"/api/v1/jobs/{job_id}").status_code == 200

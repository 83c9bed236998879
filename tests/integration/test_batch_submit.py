"""Bulk submission (``POST /api/v1/jobs/batch``): each job answered on its own as a single
submission would be, idempotent replays inside and across batches, the size limit, roles
and tenants, audit entries, rate limits counted per job, and a batch run on a real worker."""

from __future__ import annotations

import uuid

import redis

from app import audit
from app.extensions import job_store
from tests.conftest import ApiClient
from tests.integration.test_backpressure import fill, private_queue  # noqa: F401

BATCH = "/api/v1/jobs/batch"


def submit_batch(client: ApiClient, jobs: list, status: int = 200, **kw) -> dict:
    response = client.post(BATCH, json={"jobs": jobs}, **kw)
    body = response.get_json()
    assert response.status_code == status, body
    return body


def smoke(start: int, **extra) -> dict:
    return {"workflow": "smoke", "params": {"start": start}, **extra}


def test_valid_and_invalid_jobs_are_answered_each_on_its_own(analyst):
    jobs = [smoke(1), {"workflow": "nope", "params": {}}, smoke(2),
            {"workflow": "smoke", "params": {"start": "x"}}, "not an object",
            {"workflow": "smoke"}, smoke(3, idempotency_key="has space"), smoke(4), None]
    body = submit_batch(analyst, jobs)
    items = body["items"]
    assert [item["index"] for item in items] == list(range(len(jobs)))
    assert [item["status"] for item in items] == [202, 422, 202, 422, 422, 422, 422, 202, 422]
    assert (body["created"], body["replayed"], body["failed"]) == (3, 0, 6)
    assert "Unknown workflow 'nope'" in items[1]["error"]["errors"]["workflow"][0]
    assert "start" in items[3]["error"]["errors"]["params"]  # field paths within the item
    assert items[4]["error"]["errors"] == {"_schema": ["Invalid input type."]}
    assert items[8]["error"]["errors"] == {"_schema": ["Invalid input type."]}
    assert "params" in items[5]["error"]["errors"]
    assert "idempotency_key" in items[6]["error"]["errors"]
    for item in items:
        assert ("job" in item) != ("error" in item)
        if "error" in item:
            assert item["error"]["code"] == item["status"] == 422
            assert item["error"]["message"] == "The request has invalid fields; see 'errors'."
    assert "Retry-After" not in analyst.post(BATCH, json={"jobs": jobs}).headers  # none to retry
    created = [items[i]["job"] for i in (0, 2, 7)]
    for job, start in zip(created, (1, 2, 4)):
        assert job["state"] == "queued" and job["workflow"] == "smoke"
        stored = analyst.get(f"/api/v1/jobs/{job['id']}").get_json()
        assert stored["params"]["start"] == start and stored["progress"]["total"] == 3
        assert set(stored["tasks"]) == {"first", "second", "finish"}


def test_idempotency_keys_replay_inside_and_across_batches(analyst, make_client):
    key = f"nightly-{uuid.uuid4().hex}"
    first = submit_batch(analyst, [smoke(1, idempotency_key=key), smoke(2),
                                   smoke(3, idempotency_key=key)])["items"]
    assert [item["status"] for item in first] == [202, 202, 200]
    assert first[2]["job"]["id"] == first[0]["job"]["id"]  # the later one gets the earlier
    again = submit_batch(analyst, [smoke(9, idempotency_key=key)])
    assert again["items"][0]["status"] == 200 and again["replayed"] == 1
    assert again["items"][0]["job"]["id"] == first[0]["job"]["id"]
    single = analyst.submit("smoke", {"start": 1}, idempotency_key=key)
    assert single.status_code == 200 and single.get_json()["id"] == first[0]["job"]["id"]
    # keys are per tenant: another tenant's batch makes its own job
    other = submit_batch(make_client("analyst"), [smoke(1, idempotency_key=key)])["items"]
    assert other[0]["status"] == 202 and other[0]["job"]["id"] != first[0]["job"]["id"]


def test_the_idempotency_key_header_keys_each_job_by_its_index(analyst):
    header = {"Idempotency-Key": f"batch-{uuid.uuid4().hex}"}
    jobs = [smoke(1), smoke(2, idempotency_key=f"own-{uuid.uuid4().hex}")]
    first = submit_batch(analyst, jobs, headers=header)["items"]
    assert [item["status"] for item in first] == [202, 202]
    assert first[0]["job"]["idempotency_key"] == f"{header['Idempotency-Key']}/0"
    repeat = submit_batch(analyst, jobs, headers=header)  # e.g. a proxy sending it again
    assert [item["status"] for item in repeat["items"]] == [200, 200]
    assert [item["job"]["id"] for item in repeat["items"]] == \
        [item["job"]["id"] for item in first]
    bad = submit_batch(analyst, jobs, status=422, headers={"Idempotency-Key": "a b"})
    assert "Idempotency-Key" in bad["errors"]["headers"]


def test_more_jobs_than_the_limit_is_a_422_on_jobs(analyst, settings_env):
    settings_env(DIA3_BATCH_MAX_JOBS="3")
    body = submit_batch(analyst, [smoke(i) for i in range(4)], status=422)
    assert body["errors"]["json"]["jobs"] == [
        "At most 3 jobs per request (DIA3_BATCH_MAX_JOBS); got 4."]
    assert submit_batch(analyst, [smoke(i) for i in range(3)])["created"] == 3
    empty = submit_batch(analyst, [], status=422)
    assert "jobs" in empty["errors"]["json"]
    missing = analyst.post(BATCH, json={"job": []})
    assert missing.status_code == 422 and "jobs" in missing.get_json()["errors"]["json"]


def test_viewers_may_not_submit_and_jobs_stay_in_their_tenant(make_client):
    viewer = make_client("viewer")
    denied = submit_batch(viewer, [smoke(1)], status=403)
    assert "may only read" in denied["message"]
    assert viewer.get("/api/v1/jobs").get_json()["items"] == []
    tenant = f"t{uuid.uuid4().hex[:10]}"
    analyst, colleague = make_client("analyst", tenant), make_client("viewer", tenant)
    outsider = make_client("analyst")
    ids = [item["job"]["id"] for item in submit_batch(analyst, [smoke(1), smoke(2)])["items"]]
    listed = {job["id"] for job in colleague.get("/api/v1/jobs").get_json()["items"]}
    assert listed == set(ids)
    for job_id in ids:
        assert job_store().get(job_id).tenant == tenant
        assert outsider.get(f"/api/v1/jobs/{job_id}").status_code == 404


def test_each_job_has_its_audit_entry(make_client):
    client = make_client("analyst")
    rid = uuid.uuid4().hex
    body = submit_batch(client, [smoke(1), {"workflow": "nope", "params": {}}],
                        headers={"X-Request-ID": rid})
    entries = [e.to_dict() for e in reversed(audit.query(limit=200).items)
               if e.request_id == rid]
    job_id = body["items"][0]["job"]["id"]
    assert [(e["action"], e["target"], e["outcome"], e["status"]) for e in entries] == [
        ("job.submit", f"job:{job_id}", "ok", None),
        ("job.submit", "workflow:nope", "error", 422)]
    assert entries[0]["detail"] == {"workflow": "smoke", "batch": True, "created": True}
    viewer, rid = make_client("viewer"), uuid.uuid4().hex
    submit_batch(viewer, [smoke(1), smoke(2)], status=403, headers={"X-Request-ID": rid})
    denied = [e.to_dict() for e in audit.query(limit=50).items if e.request_id == rid]
    assert [(e["target"], e["outcome"], e["status"], e["detail"]) for e in denied] == [
        ("batch", "denied", 403, {"jobs": 2})]


def test_rate_limits_count_jobs_and_refuse_the_ones_past_the_budget(make_client, settings_env):
    settings_env(DIA3_RATE_LIMIT_ANALYST="5/minute")
    client = make_client("analyst")
    response = client.post(BATCH, json={"jobs": [smoke(i) for i in range(7)]})
    body = response.get_json()
    assert response.status_code == 200, body
    assert [item["status"] for item in body["items"]] == [202] * 5 + [429] * 2
    refused = body["items"][5]["error"]
    assert refused["code"] == 429 and "Rate limit of 5 per 1 minute per API key" in \
        refused["message"] and refused["errors"] == {"limit": "5 per 1 minute"}
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert (body["created"], body["failed"]) == (5, 2)
    over = client.post(BATCH, json={"jobs": [smoke(1)]})  # the budget is spent: the request
    assert over.status_code == 429 and "Retry-After" in over.headers


def test_backpressure_counts_the_jobs_of_the_batch_before_them(analyst, private_queue):  # noqa: F811
    workflow, queue = private_queue
    fill(queue, 1)  # limit 3: room for three more messages
    response = analyst.post(BATCH, json={"jobs": [{"workflow": workflow, "params": {"start": i}}
                                                  for i in range(5)]})
    body = response.get_json()
    assert response.headers["Retry-After"] == "10"
    assert [item["status"] for item in body["items"]] == [202, 202, 202, 503, 503], body
    refused = body["items"][3]["error"]
    assert "DIA3_QUEUE_MAX_DEPTH" in refused["message"]
    assert refused["errors"] == {"queue": queue, "depth": 4, "limit": 3}


def test_a_batch_runs_to_success_on_a_real_worker(analyst, worker):
    body = submit_batch(analyst, [smoke(i) for i in range(20)])
    assert body["created"] == 20
    for i, item in enumerate(body["items"]):
        job = analyst.wait(item["job"]["id"])
        assert job["state"] == "succeeded", job
        result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
        assert result["value"] == i + 2, result


def test_when_the_messages_cannot_be_sent_no_job_of_the_batch_is_kept(analyst, monkeypatch):
    from kombu.transport.redis import PublishBatch

    def broken(self):
        raise redis.ConnectionError("the broker went away")
    monkeypatch.setattr(PublishBatch, "flush", broken)
    key = f"k-{uuid.uuid4().hex}"
    body = submit_batch(analyst, [smoke(1, idempotency_key=key), smoke(2),
                                  smoke(3, idempotency_key=key), {"workflow": "nope"}])
    assert [item["status"] for item in body["items"]] == [503, 503, 503, 422], body
    assert body["items"][0]["error"]["message"] == \
        "The job store (Redis) is unreachable; retry shortly."
    assert analyst.get("/api/v1/jobs").get_json()["items"] == []  # nothing half-written
    monkeypatch.undo()
    again = submit_batch(analyst, [smoke(1, idempotency_key=key)])  # the retry makes it
    assert again["items"][0]["status"] == 202


def test_jobs_no_replica_acknowledged_are_503s_kept_for_their_retry(analyst, settings_env):
    settings_env(DIA3_REDIS_MIN_REPLICAS="1", DIA3_REDIS_REPLICA_TIMEOUT_MS="20")  # none here
    keys = [f"r-{uuid.uuid4().hex}" for _ in range(2)]
    jobs = [smoke(1, idempotency_key=keys[0]), smoke(2, idempotency_key=keys[1]),
            {"workflow": "nope", "params": {}}]
    response = analyst.post(BATCH, json={"jobs": jobs})
    body = response.get_json()
    assert [item["status"] for item in body["items"]] == [503, 503, 422], body
    assert body["items"][0]["error"]["errors"] == {"replicas": {"acknowledged": 0,
                                                                "required": 1}}
    assert response.headers["Retry-After"] == "2"
    settings_env(DIA3_REDIS_MIN_REPLICAS="0")
    again = submit_batch(analyst, jobs[:2])  # the jobs first written, acknowledged now
    assert [item["status"] for item in again["items"]] == [200, 200]


def test_when_the_records_fail_midway_none_is_kept(analyst, monkeypatch):
    from app.jobs.store import JobStore
    write = JobStore.create_many

    def written_then_lost(self, records):
        write(self, records[:1])  # the first reached Redis, then the connection broke
        raise redis.ConnectionError("Redis went away")
    monkeypatch.setattr(JobStore, "create_many", written_then_lost)
    response = analyst.post(BATCH, json={"jobs": [smoke(1), smoke(2)]})
    assert response.status_code == 503, response.get_json()
    assert analyst.get("/api/v1/jobs").get_json()["items"] == []  # the written one removed

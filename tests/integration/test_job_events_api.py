"""The SSE endpoints: a job's events to its end and a tenant's, over real HTTP (gunicorn, a
real worker) and in process; resuming by Last-Event-ID loses and repeats nothing; heartbeats,
the per-process stream limit, tenant scoping and bad input."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import requests

from app import redis_keys
from app.extensions import job_store, key_store
from app.jobs.store import new_job_id


def parse(chunks: Iterator[str]) -> Iterator[dict]:
    """SSE frames as dicts: ``id``, ``event``, ``data`` (parsed), or ``comment``/``retry``."""
    frame: dict = {}
    for line in chunks:
        if line == "":
            if frame:
                yield frame
            frame = {}
        elif line.startswith(":"):
            frame["comment"] = line[1:].strip()
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            frame[name] = json.loads(value) if name == "data" else value


def lines_of(response: requests.Response) -> Iterator[str]:
    return response.iter_lines(decode_unicode=True)


def events_only(frames: Iterator[dict]) -> list[dict]:
    return [frame for frame in frames if "event" in frame]


def submit(api_url: str, key: str, **params) -> str:
    response = requests.post(f"{api_url}/api/v1/jobs", headers={"X-API-Key": key},
                             json={"workflow": "smoke", "params": params}, timeout=30)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def follow(api_url: str, key: str, path: str, after: str | None = None, **query
           ) -> requests.Response:
    headers = {"X-API-Key": key, **({"Last-Event-ID": after} if after else {})}
    response = requests.get(f"{api_url}{path}", headers=headers, params=query, stream=True,
                            timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/event-stream")
    return response


def test_a_jobs_stream_follows_it_to_its_end_and_resumes_exactly(api_url, tenant_key):
    job_id = submit(api_url, tenant_key, start=1)
    with follow(api_url, tenant_key, f"/api/v1/jobs/{job_id}/events") as response:
        frames = list(parse(lines_of(response)))  # the server ends the stream
    assert frames[0] == {"retry": "2000"}
    found = events_only(frames)
    types = [frame["event"] for frame in found]
    assert types[0] == "job.queued" and types[-1] == "job.succeeded" and "job.running" in types
    assert all(frame["data"]["job_id"] == job_id and frame["data"]["id"] == frame["id"]
               and frame["data"]["type"] == frame["event"] for frame in found)
    ids = [tuple(map(int, frame["id"].split("-"))) for frame in found]
    assert ids == sorted(set(ids))
    assert found[-1]["data"]["steps_done"] == found[-1]["data"]["steps_total"] == 3
    assert all(isinstance(f["data"]["progress"], dict) for f in found if "step" in f["data"])
    # resuming after any event gives exactly the ones after it, and ends again
    with follow(api_url, tenant_key, f"/api/v1/jobs/{job_id}/events",
                after=found[1]["id"]) as response:
        assert events_only(parse(lines_of(response))) == found[2:]
    with follow(api_url, tenant_key, f"/api/v1/jobs/{job_id}/events",
                after=found[-1]["id"]) as response:
        assert events_only(parse(lines_of(response))) == []


def test_the_tenant_stream_has_its_own_jobs_filtered_and_resumes(api_url, tenant_key):
    other_key = key_store().create("analyst", f"t{uuid.uuid4().hex[:10]}")[0]
    with follow(api_url, tenant_key, "/api/v1/events", state="succeeded") as response:
        frames = parse(lines_of(response))
        assert next(frames) == {"retry": "2000"}  # subscribed: from here on nothing is missed
        mine = [submit(api_url, tenant_key), submit(api_url, tenant_key)]
        submit(api_url, other_key)
        found = []
        for frame in frames:
            if "event" in frame:
                found.append(frame)
            if len(found) == 2:
                break
    assert sorted(frame["data"]["job_id"] for frame in found) == sorted(mine)
    assert {frame["event"] for frame in found} == {"job.succeeded"}
    with follow(api_url, tenant_key, "/api/v1/events", after=found[0]["id"],
                state="succeeded") as response:
        assert next(f for f in parse(lines_of(response)) if "event" in f) == found[1]


# ---- in process --------------------------------------------------------------------------
def chunks(response) -> Iterator[str]:
    """The lines of a streamed test-client response, as they come."""
    for chunk in response.response:
        yield from (chunk.decode() if isinstance(chunk, bytes) else chunk).split("\n")


def queued_job(tenant: str) -> str:
    job, _ = job_store().create(job_id=new_job_id(), workflow="smoke", tenant=tenant,
                                owner="k", params={}, steps_total=3, tasks={})
    return job.id


def test_a_queued_jobs_stream_ends_when_it_is_cancelled(make_client):
    tenant = f"t{uuid.uuid4().hex[:10]}"
    client = make_client("viewer", tenant)
    job_id = queued_job(tenant)
    response = client.get(f"/api/v1/jobs/{job_id}/events", buffered=False)
    assert response.status_code == 200
    assert response.headers["X-Accel-Buffering"] == "no"
    frames = parse(chunks(response))
    assert next(frames) == {"retry": "2000"}
    assert next(frames)["event"] == "job.queued"
    job_store().cancel(job_id)
    assert [frame["event"] for frame in frames] == ["job.cancelled"]  # and then it ends


def test_idle_streams_send_heartbeats(analyst, settings_env):
    settings_env(DIA3_EVENTS_HEARTBEAT="0.05")
    response = analyst.get("/api/v1/events", buffered=False)
    frames = parse(chunks(response))
    assert next(frames) == {"retry": "2000"}
    assert [next(frames), next(frames)] == [{"comment": "heartbeat"}] * 2
    response.close()


def test_streams_over_the_process_limit_are_refused_until_one_closes(analyst, settings_env):
    settings_env(DIA3_EVENTS_MAX_STREAMS="1", DIA3_EVENTS_HEARTBEAT="0.05")
    first = analyst.get("/api/v1/events", buffered=False)
    assert first.status_code == 200
    refused = analyst.get("/api/v1/events", buffered=False)
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
    assert "DIA3_EVENTS_MAX_STREAMS" in refused.get_json()["message"]
    first.close()
    again = analyst.get("/api/v1/events", buffered=False)
    assert again.status_code == 200
    again.close()


def test_streams_are_tenant_scoped_and_check_their_input(make_client, flask_app):
    owner, stranger = make_client("analyst"), make_client("analyst")
    job_id = queued_job(f"t{uuid.uuid4().hex[:10]}")  # another tenant's
    mine = owner.submit("smoke", {}).get_json()["id"]
    assert stranger.get(f"/api/v1/jobs/{mine}/events").status_code == 404
    assert owner.get(f"/api/v1/jobs/{job_id}/events").status_code == 404
    assert owner.get("/api/v1/jobs/nope/events").status_code == 404
    bad = owner.get(f"/api/v1/jobs/{mine}/events", headers={"Last-Event-ID": "yesterday"})
    assert bad.status_code == 422 and "Last-Event-ID" in bad.get_json()["errors"]["headers"]
    bad = owner.get("/api/v1/events", query_string={"state": "sleeping"})
    assert bad.status_code == 422 and "state" in bad.get_json()["errors"]["query"]
    assert flask_app.test_client().get("/api/v1/events").status_code == 401


def test_the_streams_are_in_the_openapi_document(flask_app):
    paths = flask_app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/jobs/{job_id}/events", "/api/v1/events"):
        operation = paths[path]["get"]
        assert "text/event-stream" in operation["responses"]["200"]["content"]
        assert any(p["name"] == "Last-Event-ID" and p["in"] == "header"
                   for p in operation["parameters"])


def test_a_finished_job_whose_stream_expired_replays_its_final_event_once(make_client):
    tenant = f"t{uuid.uuid4().hex[:10]}"
    client = make_client("viewer", tenant)
    job_id = queued_job(tenant)
    job_store().cancel(job_id)
    job_store().r.delete(redis_keys.job_events(job_id))  # DIA3_JOB_EVENTS_TTL has passed
    response = client.get(f"/api/v1/jobs/{job_id}/events", buffered=False)
    frames = [frame for frame in parse(chunks(response)) if "event" in frame]
    assert [frame["event"] for frame in frames] == ["job.cancelled"]
    assert frames[0]["data"]["state"] == "cancelled" and frames[0]["data"]["job_id"] == job_id
    after = client.get(f"/api/v1/jobs/{job_id}/events", buffered=False,
                       headers={"Last-Event-ID": frames[0]["id"]})
    assert [frame for frame in parse(chunks(after)) if "event" in frame] == []

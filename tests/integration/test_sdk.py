"""The Python client (app/client.py) against a real API (gunicorn) and worker: typed results,
idempotent submissions, wait() and events() on the event stream, paginated iterators, and
retries that honour Retry-After on a real 429."""

from __future__ import annotations

import time
import uuid

import pytest

from app.client import APIError, DIA3Client, Event, Job
from app.extensions import key_store


@pytest.fixture
def client(api_url, tenant_key) -> DIA3Client:
    return DIA3Client(api_url, tenant_key)


def test_submit_wait_and_result_are_typed_and_follow_the_events(client):
    seen: list[tuple[str, int]] = []
    job = client.submit("smoke", {"start": 1})
    assert isinstance(job, Job) and job.workflow == "smoke" and job["id"] == job.id
    assert job.idempotency_key  # one of its own, so a retried POST makes no second job
    done = client.wait(job.id, timeout=60,
                       on_update=lambda j: seen.append((j.state, j.progress["done"])))
    assert done.state == "succeeded" and done.finished and "steps" in done
    assert seen[-1] == ("succeeded", 3) and len(seen) >= 2
    assert client.result(job.id).result == {"value": 3}  # two steps add one to 1
    with pytest.raises(AttributeError):
        done.no_such_field  # noqa: B018


def test_an_idempotency_key_given_returns_the_first_job(client):
    key = uuid.uuid4().hex
    first, again = (client.submit("smoke", {}, idempotency_key=key) for _ in range(2))
    assert first.id == again.id
    assert client.submit("smoke", {}).id != client.submit("smoke", {}).id
    client.wait(first.id, timeout=60)


def test_events_of_a_job_and_of_the_tenant_resume_after_an_id(client):
    job = client.submit("smoke", {})
    events = list(client.events(job.id, timeout=60))
    assert all(isinstance(e, Event) for e in events)
    assert events[0].type == "job.queued" and events[-1].final
    assert list(client.events(job.id, after=events[1].id)) == events[2:]
    # the tenant's stream from its first retained event, filtered
    succeeded = client.events(after="0-0", state="succeeded", timeout=30)
    first = next(succeeded)
    succeeded.close()
    assert first.state == "succeeded" and first.type == "job.succeeded"


def test_iterators_page_through_every_item(client):
    ids = {client.submit("smoke", {}).id for _ in range(5)}
    listed = [job for job in client.iter_jobs(limit=2, workflow="smoke")]
    assert ids <= {job.id for job in listed} and all(isinstance(j, Job) for j in listed)
    assert len(listed) == len({job.id for job in listed})  # no page repeats one
    for job_id in ids:
        client.wait(job_id, timeout=60)


def test_errors_are_api_errors_with_the_body(client):
    with pytest.raises(APIError) as caught:
        client.job("0" * 32)
    assert caught.value.status == 404 and caught.value.body["code"] == 404
    with pytest.raises(APIError) as caught:
        list(client.events("0" * 32))
    assert caught.value.status == 404


def test_a_429_is_tried_again_after_retry_after(served_app, settings_env):
    settings_env(DIA3_RATE_LIMIT_VIEWER="2/second")
    key = key_store().create("viewer", f"t{uuid.uuid4().hex[:10]}")[0]
    patient, hasty = DIA3Client(served_app, key), DIA3Client(served_app, key, retries=0)
    started = time.monotonic()
    assert all(patient.workflows() for _ in range(5))  # over the limit, and waited
    assert time.monotonic() - started >= 1.0  # at least one Retry-After of 1 s
    with pytest.raises(APIError) as caught:
        for _ in range(5):
            hasty.workflows()
    assert caught.value.status == 429

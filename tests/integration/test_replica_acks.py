"""A submission is acknowledged only once DIA3_REDIS_MIN_REPLICAS replicas have it (Redis
WAIT). The session's Redis has no replica, so asking for one makes every submission fall
short: it is answered 503 with Retry-After, the job written stays (and runs), and a retry with
the same idempotency key returns that job once the replicas suffice; the Python client does
that retry by itself, after the Retry-After."""

from __future__ import annotations

import time
import uuid

from app.client import DIA3Client

SHORT = {"DIA3_REDIS_MIN_REPLICAS": "1", "DIA3_REDIS_REPLICA_TIMEOUT_MS": "20"}


def test_a_submit_no_replica_acknowledged_is_a_503_and_its_retry_returns_the_same_job(
        analyst, settings_env, worker):
    settings_env(**SHORT)
    key = uuid.uuid4().hex
    refused = analyst.submit("smoke", {"start": 5}, idempotency_key=key)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
    assert refused.get_json()["errors"] == {"replicas": {"acknowledged": 0, "required": 1}}
    again = analyst.submit("smoke", {"start": 5}, idempotency_key=key)
    assert again.status_code == 503  # still not acknowledged while replicas are short

    settings_env(DIA3_REDIS_MIN_REPLICAS="0")
    accepted = analyst.submit("smoke", {"start": 5}, idempotency_key=key)
    assert accepted.status_code == 200, accepted.get_json()  # the job first written, not new
    job = analyst.wait(accepted.get_json()["id"])
    assert job["state"] == "succeeded" and job["idempotency_key"] == key


def test_the_client_retries_a_503_after_retry_after_with_the_same_key(
        served_app, settings_env, tenant_key, worker):
    settings_env(**SHORT)
    client = DIA3Client(served_app, tenant_key, retries=3)
    refusals: list[float] = []

    def replicas_catch_up(response, **_):
        """The first refusal is the last: the replicas have caught up by the retry."""
        if response.status_code == 503:
            refusals.append(time.monotonic())
            settings_env(DIA3_REDIS_MIN_REPLICAS="0")
        return response
    client.session.hooks["response"].append(replicas_catch_up)
    job = client.submit("smoke", {"start": 1})
    accepted = time.monotonic()
    assert len(refusals) == 1 and accepted - refusals[0] >= 2.0  # waited the Retry-After
    assert client.wait(job.id, timeout=60).state == "succeeded"

"""Security events: refused keys, refused actions, rate-limit rejections, validation failures
and administration are counted for the alert rules, and refused keys are audited with the
client address (through trusted proxies) and request id, with brute force detected per
address without flooding the audit log."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY

from app import audit
from app.extensions import key_store
from tests.conftest import ApiClient

PROXY = {"DIA3_TRUSTED_PROXIES": "127.0.0.1"}  # the test client connects from 127.0.0.1


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def fresh_address() -> str:
    raw = uuid.uuid4().bytes
    return f"198.51.{raw[0]}.{raw[1]}"


def entries(**filters: str) -> list[dict]:
    return [e.to_dict() for e in audit.query(limit=200, **filters).items]


def call(flask_app, key: str | None, address: str | None = None, rid: str | None = None):
    headers = {"X-Request-ID": rid or uuid.uuid4().hex}
    if address:
        headers["X-Forwarded-For"] = f"6.6.6.6, {address}"  # the left part is forged
    return ApiClient(flask_app, key).get("/api/v1/jobs", headers=headers)


def test_a_revoked_key_is_refused_counted_and_audited_with_client_and_request(
        flask_app, settings_env):
    settings_env(**PROXY)
    key, principal = key_store().create("analyst", f"t{uuid.uuid4().hex[:8]}")
    address, rid = fresh_address(), uuid.uuid4().hex
    before = sample("dia3_auth_failures_total", reason="revoked", surface="api")
    key_store().revoke(principal.key_id)
    response = call(flask_app, key, address, rid)
    assert response.status_code == 401
    assert response.get_json()["message"] == "Invalid or revoked API key."  # says no more
    assert sample("dia3_auth_failures_total", reason="revoked", surface="api") == before + 1
    [entry] = [e for e in entries(action="auth.failure") if e["request_id"] == rid]
    assert (entry["target"], entry["outcome"], entry["status"], entry["error"],
            entry["client"], entry["actor"]) == (f"key:{principal.key_id}", "denied", 401,
                                                 "revoked", address, "-")
    assert key not in str(entry)


@pytest.mark.parametrize("cause", ["unknown", "rotated", "expired", "missing"])
def test_each_cause_of_a_refusal_is_told_apart(flask_app, settings_env, cause):
    settings_env(**PROXY)
    key, principal = key_store().create("viewer", "acme", expires_at=None)
    if cause == "unknown":
        key = "dia3_000000000000_" + uuid.uuid4().hex
    elif cause == "rotated":
        key_store().rotate(principal.key_id)
    elif cause == "expired":
        key, principal = key_store().create("viewer", "acme", expires_at=1.0)
    else:
        key = None
    before = sample("dia3_auth_failures_total", reason=cause, surface="api")
    rid = uuid.uuid4().hex
    assert call(flask_app, key, fresh_address(), rid).status_code == 401
    assert sample("dia3_auth_failures_total", reason=cause, surface="api") == before + 1
    [entry] = [e for e in entries(action="auth.failure") if e["request_id"] == rid]
    assert entry["error"] == cause


def test_many_failures_from_one_address_are_one_brute_force_source(flask_app, settings_env):
    settings_env(**PROXY, DIA3_AUTH_FAILURE_THRESHOLD="3",
                 DIA3_AUTH_FAILURE_WINDOW_SECONDS="300")
    attacker, bystander = fresh_address(), fresh_address()
    before = sample("dia3_auth_bruteforce_sources_total")
    failures = sample("dia3_auth_failures_total", reason="unknown", surface="api")
    for _ in range(8):
        assert call(flask_app, f"dia3_abc_{uuid.uuid4().hex}", attacker).status_code == 401
    assert call(flask_app, "dia3_abc_guess", bystander).status_code == 401
    assert sample("dia3_auth_bruteforce_sources_total") == before + 1
    assert sample("dia3_auth_failures_total", reason="unknown", surface="api") == failures + 9
    audited = [e for e in entries(action="auth.failure") if e["client"] == attacker]
    assert len(audited) == 3  # the failures after the threshold are counted, not audited
    [flagged] = entries(action="auth.bruteforce", target=f"client:{attacker}")
    assert flagged["detail"] == {"failures": 3, "window_seconds": 300}
    assert [e["client"] for e in entries(action="auth.failure")].count(bystander) == 1


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(flask_app, settings_env):
    settings_env(DIA3_TRUSTED_PROXIES="10.0.0.0/8", DIA3_AUTH_FAILURE_THRESHOLD="0")
    rid, forged = uuid.uuid4().hex, fresh_address()
    assert call(flask_app, "dia3_abc_nope", forged, rid).status_code == 401
    [entry] = [e for e in entries(action="auth.failure") if e["request_id"] == rid]
    assert entry["client"] == "127.0.0.1"


def test_refused_actions_administration_and_bad_input_are_counted(make_client, settings_env):
    settings_env(**PROXY)
    viewer, admin = make_client("viewer"), make_client("admin")
    denied = sample("dia3_denied_actions_total", role="viewer", action="job.submit")
    rid, address = uuid.uuid4().hex, fresh_address()
    response = viewer.post(
        "/api/v1/jobs", json={"workflow": "smoke", "params": {}},
        headers={"X-Request-ID": rid, "X-Forwarded-For": address})
    assert response.status_code == 403
    assert sample("dia3_denied_actions_total", role="viewer", action="job.submit") == denied + 1
    [entry] = [e for e in entries(action="job.submit") if e["request_id"] == rid]
    assert (entry["client"], entry["role"], entry["outcome"]) == (address, "viewer", "denied")

    created = sample("dia3_admin_actions_total", action="key.create")
    response = admin.post("/api/v1/keys", json={"role": "viewer", "tenant": "acme"})
    assert response.status_code == 201, response.get_json()
    assert sample("dia3_admin_actions_total", action="key.create") == created + 1
    submits = sample("dia3_admin_actions_total", action="job.submit")
    assert admin.submit("smoke", {}).status_code == 202  # using DIA3 is not administering it
    assert sample("dia3_admin_actions_total", action="job.submit") == submits == 0

    invalid = sample("dia3_validation_failures_total", route="/api/v1/jobs")
    assert admin.submit("smoke", {"start": "x"}).status_code == 422
    assert sample("dia3_validation_failures_total", route="/api/v1/jobs") == invalid + 1


def test_rate_limit_rejections_are_counted_by_role(make_client, settings_env):
    settings_env(DIA3_RATE_LIMIT_VIEWER="2/minute")
    viewer = make_client("viewer")
    before = sample("dia3_rate_limit_rejections_total", role="viewer")
    codes = [viewer.get("/api/v1/workflows").status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]
    assert sample("dia3_rate_limit_rejections_total", role="viewer") == before + 2

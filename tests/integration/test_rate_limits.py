"""Per-key rate limits: a budget per API key (by role) shared by every replica, 429 with
Retry-After, probes exempt, and no 500 when the limiter's Redis is gone."""

import random
import time

import pytest

from tests.conftest import ApiClient, free_port

LIMITS = {"DIA3_RATE_LIMIT_ADMIN": "", "DIA3_RATE_LIMIT_ANALYST": "5/minute",
          "DIA3_RATE_LIMIT_VIEWER": "3/minute", "DIA3_RATE_LIMIT_ANONYMOUS": "2/minute"}


@pytest.fixture
def rate_limits(settings_env):
    settings_env(**LIMITS)


def spend(client: ApiClient, n: int) -> list:
    return [client.get("/api/v1/workflows") for _ in range(n)]


def assert_429(response) -> int:
    body = response.get_json()
    assert response.status_code == 429, body
    assert set(body) == {"code", "status", "message", "errors"} and body["code"] == 429
    assert "per 1 minute" in body["message"] and body["errors"]["limit"]
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 60
    return wait


def test_a_key_over_its_budget_gets_429_with_retry_after(make_client, rate_limits):
    analyst = make_client("analyst")
    responses = spend(analyst, 5)
    assert [r.status_code for r in responses] == [200] * 5
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["4", "3", "2", "1", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "5" for r in responses)
    assert int(responses[0].headers["X-RateLimit-Reset"]) > time.time()
    refused = analyst.submit("smoke", {})
    assert_429(refused)
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert "Rate limit of 5 per 1 minute per API key" in refused.get_json()["message"]


def test_budgets_are_per_key_and_per_role(make_client, rate_limits):
    tenant = f"rl{random.randrange(10**8)}"
    first, second = make_client("analyst", tenant), make_client("analyst", tenant)
    spend(first, 5)
    assert_429(first.get("/api/v1/jobs"))
    assert second.get("/api/v1/jobs").status_code == 200  # same tenant, its own key's budget
    viewer = make_client("viewer", tenant)
    assert [r.status_code for r in spend(viewer, 4)] == [200, 200, 200, 429]
    admin = make_client("admin", tenant)  # an empty limit: unlimited, no headers
    responses = spend(admin, 8)
    assert {r.status_code for r in responses} == {200}
    assert "X-RateLimit-Limit" not in responses[-1].headers


def test_replicas_share_one_budget(make_client, flask_app, rate_limits):
    from app.api import create_app
    other_replica = create_app()
    key = make_client("analyst").key
    clients = [ApiClient(flask_app, key), ApiClient(other_replica, key)]
    codes = [clients[i % 2].get("/api/v1/jobs").status_code for i in range(7)]
    assert codes == [200] * 5 + [429, 429]


def test_probes_are_exempt_and_keyless_requests_are_limited_by_address(flask_app, rate_limits):
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(256)}"
    client = flask_app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    for path in ("/healthz", "/readyz", "/metrics"):
        assert all(client.get(path).status_code != 429 for _ in range(4)), path
    codes = [client.get("/api/v1/openapi.json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    other = flask_app.test_client()
    other.environ_base["REMOTE_ADDR"] = address + "1"
    assert other.get("/api/v1/openapi.json").status_code == 200


def test_unreachable_limiter_storage_fails_open(make_client, monkeypatch, rate_limits):
    """The limiter's Redis gone (the rest of the API still up): requests are served."""
    import app.api as api
    monkeypatch.setattr(api, "redis_url", lambda: f"redis://127.0.0.1:{free_port()}/0")
    replica = api.create_app()
    client = ApiClient(replica, make_client("analyst").key)
    responses = spend(client, 7)
    assert {r.status_code for r in responses} == {200}
    assert "X-RateLimit-Limit" not in responses[-1].headers


def test_budgets_work_on_the_embedded_redis_unix_socket(make_client, monkeypatch, rate_limits,
                                                        tmp_path):
    """`dia3 up` without DIA3_REDIS_URL: the limiter's storage is the unix-socket Redis."""
    import app.api as api
    from app.runtime.embedded_redis import EmbeddedRedis
    server = EmbeddedRedis(tmp_path)
    url = server.start()
    try:
        assert url.startswith("unix://")
        monkeypatch.setattr(api, "redis_url", lambda: url)
        client = ApiClient(api.create_app(), make_client("analyst").key)
        assert [r.status_code for r in spend(client, 6)] == [200] * 5 + [429]
    finally:
        server.stop()


def test_the_spec_declares_the_headers_a_client_acts_on(flask_app):
    spec = flask_app.test_client().get("/api/v1/openapi.json").get_json()
    for path, method in (("/api/v1/jobs", "post"), ("/api/v1/jobs", "get"),
                         ("/api/v1/jobs/{job_id}/retry", "post")):
        responses = spec["paths"][path][method]["responses"]
        assert {"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                "X-RateLimit-Reset"} <= set(responses["429"]["headers"])
        assert "Retry-After" in responses["503"]["headers"]


def test_a_request_is_counted_and_its_headers_read_in_one_round_trip(make_client, flask_app,
                                                                    rate_limits, monkeypatch):
    analyst = make_client("analyst")
    limiter = next(iter(flask_app.extensions["limiter"]))
    client = limiter.limiter.storage.get_connection()
    spend(analyst, 1)  # the script is loaded into Redis once
    sent = []
    execute = client.execute_command
    monkeypatch.setattr(client, "execute_command",
                        lambda *args, **kw: sent.append(args[0]) or execute(*args, **kw))
    [response] = spend(analyst, 1)
    assert response.headers["X-RateLimit-Remaining"] == "3"
    assert int(response.headers["X-RateLimit-Reset"]) > time.time()
    assert sent == ["EVALSHA"]

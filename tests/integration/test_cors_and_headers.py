"""CORS is closed unless configured; security headers are on every response."""

import pytest

from app.api import cors
from app.api.middleware import SECURITY_HEADERS
from tests.conftest import ADMIN_KEY

ALLOWED = "https://dash.example.org"
PREFLIGHT = {"Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "X-API-Key, Content-Type"}


@pytest.fixture
def client(flask_app):
    return flask_app.test_client()


@pytest.fixture
def allow_origin(flask_app, monkeypatch):
    monkeypatch.setitem(flask_app.config, cors.CONFIG_KEY,
                        cors.parse_origins(f" {ALLOWED}/ , https://other.example.org"))


def test_origins_are_parsed_and_normalised():
    assert cors.parse_origins("") == frozenset()
    assert cors.parse_origins("https://A.example/, ,http://b:8080") == {
        "https://a.example", "http://b:8080"}


def test_no_cors_headers_by_default(client):
    response = client.get("/api/v1/workflows",
                          headers={"Origin": ALLOWED, "X-API-Key": ADMIN_KEY})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    preflight = client.options("/api/v1/jobs", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert preflight.status_code == 403
    assert not any(h.startswith("Access-Control-") for h in preflight.headers.keys())


def test_a_listed_origin_gets_preflight_and_responses(client, allow_origin):
    preflight = client.options("/api/v1/jobs", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "X-API-Key" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    response = client.get("/api/v1/workflows",
                          headers={"Origin": ALLOWED, "X-API-Key": ADMIN_KEY})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "X-Request-ID" in exposed and "X-RateLimit-Remaining" in exposed
    assert "Origin" in response.headers["Vary"]


def test_an_unlisted_origin_gets_nothing_even_when_others_are_listed(client, allow_origin):
    evil = "https://evil.example.org"
    preflight = client.options("/api/v1/jobs", headers={"Origin": evil, **PREFLIGHT})
    assert preflight.status_code == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers
    response = client.get("/api/v1/workflows", headers={"Origin": evil, "X-API-Key": ADMIN_KEY})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("method, path, headers, status", [
    ("get", "/healthz", {}, 200),
    ("get", "/metrics", {}, 200),
    ("get", "/api/v1/openapi.json", {}, 200),
    ("get", "/api/v1/jobs", {}, 401),
    ("get", "/api/v1/jobs", {"X-API-Key": "wrong"}, 401),
    ("get", "/api/v1/nothing-here", {"X-API-Key": ADMIN_KEY}, 404),
    ("put", "/api/v1/jobs", {"X-API-Key": ADMIN_KEY}, 405),
    ("options", "/api/v1/jobs", {"Origin": "https://x.example", **PREFLIGHT}, 403),
])
def test_security_headers_on_every_response(client, method, path, headers, status):
    response = getattr(client, method)(path, headers=headers)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    assert response.headers["X-Request-ID"]

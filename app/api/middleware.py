"""Per-request plumbing: correlation id, CORS, authentication, metrics and security headers."""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, g, request

from app import metrics
from app.api import cors
from app.api.client_address import client_address
from app.api.errors import respond
from app.auth import events
from app.auth.keys import KeyRejected
from app.extensions import key_store
from app.logs import client_var, request_id_var

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PUBLIC_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def presented_key() -> str | None:
    key = request.headers.get("X-API-Key")
    if key:
        return key.strip()
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return None


def _begin():
    g.started = time.perf_counter()
    rid = request.headers.get("X-Request-ID", "")
    g.request_id = rid if REQUEST_ID.match(rid) else uuid.uuid4().hex
    g.rid_token = request_id_var.set(g.request_id)
    g.client = client_address()
    g.client_token = client_var.set(g.client)
    if cors.is_preflight():
        return cors.preflight_response()
    if not request.path.startswith("/api/v1/") or request.path.startswith(PUBLIC_PATHS):
        return None
    key = presented_key()
    try:
        if not key:
            raise KeyRejected("missing")
        g.principal = key_store().authenticate(key)
    except KeyRejected as exc:
        events.auth_failed(exc, g.client, "api")
        return respond(exc)
    return None


def _finish(response):
    route = request.url_rule.rule if request.url_rule else "unmatched"
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    metrics.HTTP_LATENCY.labels(request.method, route).observe(elapsed)
    if response.status_code in (400, 422):
        metrics.VALIDATION_FAILURES.labels(route).inc()
    response.headers["X-Request-ID"] = g.get("request_id", "")
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    cors.add_headers(response)
    return response


def _teardown(exc=None):
    token = g.pop("rid_token", None)
    if token is not None:
        request_id_var.reset(token)
    token = g.pop("client_token", None)
    if token is not None:
        client_var.reset(token)


def install(app: Flask) -> None:
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_teardown)


def principal():
    return g.principal

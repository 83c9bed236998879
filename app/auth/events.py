"""Refused authentications as security events: counted, audited and watched for brute force.

Every refused key (on the REST API and the MCP server) is counted in
``dia3_auth_failures_total`` by its cause — missing, unknown, revoked, rotated (a replaced
secret) or expired — and audited as ``auth.failure`` with the client address and request id.
Failures are also counted per client address in a fixed window in Redis
(``DIA3_AUTH_FAILURE_WINDOW_SECONDS``): the failure that reaches
``DIA3_AUTH_FAILURE_THRESHOLD`` marks the address as a brute-force source (one
``auth.bruteforce`` entry, ``dia3_auth_bruteforce_sources_total``, a warning log line), and
the failures after it in that window are counted but not audited one by one, so a flood of
guesses cannot flood the audit log.

Recording is best effort: the caller gets its 401 whether or not Redis took the entry.
"""

from __future__ import annotations

import logging

import redis

from app import audit, metrics, redis_keys
from app.auth.keys import KeyRejected
from app.settings import get_settings

log = logging.getLogger("dia3.security")
FAILURES = redis_keys.AUTH_FAILURES


def count_failure(client: redis.Redis, address: str, window: int) -> int:
    """Failures of ``address`` in the current window, this one included."""
    pipe = client.pipeline(transaction=True)
    pipe.incr(FAILURES + address)
    pipe.expire(FAILURES + address, window, nx=True)
    return int(pipe.execute()[0])


def auth_failed(rejection: KeyRejected, address: str | None, surface: str) -> None:
    """Record one refused authentication from ``address`` (None when the surface cannot
    tell) on ``surface`` (``api`` or ``mcp``)."""
    metrics.AUTH_FAILURES.labels(rejection.cause, surface).inc()
    settings = get_settings()
    target = f"key:{rejection.key_id or '-'}"
    try:
        from app.redis_client import get_redis
        client = get_redis()
        seen = count_failure(client, address or "unknown",
                             max(1, settings.auth_failure_window_seconds))
        threshold = settings.auth_failure_threshold
        if threshold and seen > threshold:
            return  # counted; this window's source is already reported
        audit.record("auth.failure", audit.ANONYMOUS, target, outcome=audit.DENIED,
                     status=401, error=rejection.cause, surface=surface)
        if threshold and seen == threshold:
            metrics.BRUTEFORCE_SOURCES.inc()
            log.warning("brute-force source", extra={
                "client": address, "failures": seen,
                "window_seconds": settings.auth_failure_window_seconds})
            audit.record("auth.bruteforce", audit.ANONYMOUS, f"client:{address or 'unknown'}",
                         outcome=audit.DENIED, status=401, failures=seen,
                         window_seconds=settings.auth_failure_window_seconds)
    except (redis.RedisError, audit.AuditUnavailable):
        pass  # the answer stays 401; a lost entry is logged and counted by app.audit

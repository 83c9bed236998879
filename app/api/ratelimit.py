"""Per-key request rate limits, shared by every API replica through DIA3's Redis.

flask-limiter counts each authenticated request against its API key's budget (the limit of
the key's role: ``DIA3_RATE_LIMIT_ADMIN``/``_ANALYST``/``_VIEWER``) and each request without a
key against its client address (``DIA3_RATE_LIMIT_ANONYMOUS``; behind a proxy listed in
``DIA3_TRUSTED_PROXIES``, the address it forwards). One budget covers every route
(an application-wide limit), so spreading calls over endpoints or replicas gains nothing.
``/healthz``, ``/readyz`` and ``/metrics`` are never limited: probes and scrapes must not be
throttled.

The check runs after authentication (it needs the key), so a request with a missing or bad
key is answered 401 without being counted. If Redis cannot be reached the limiter fails open
(it logs and lets the request through): authentication reads Redis too, so such a request
gets the usual 503 there, and only the key-less public documents are served unlimited.

Counting a request and reading what is left of its budget (the ``X-RateLimit-*`` headers) is
one Redis round trip (:class:`OneTripSlidingWindow`).
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, current_app, g, has_request_context, request
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from limits import RateLimitItem
from limits.strategies import STRATEGIES, SlidingWindowCounterRateLimiter
from limits.util import WindowStats

from app import metrics, redis_keys
from app.api.client_address import client_address
from app.api.errors import error_response
from app.error_table import status_of
from app.errors import OverBudget
from app.redis_client import (
    CONNECT_TIMEOUT,
    SENTINEL,
    SOCKET_TIMEOUT,
    is_sentinel,
    sentinel_kwargs,
    tls_options,
)
from app.settings import get_settings

log = logging.getLogger("dia3.api")
KEY_PREFIX = redis_keys.RATE_LIMIT
HEADER_LIMIT = "X-RateLimit-Limit"
HEADER_REMAINING = "X-RateLimit-Remaining"
HEADER_RESET = "X-RateLimit-Reset"


#: the strategy: limits' sliding window counter, counted and read in one round trip
STRATEGY = "dia3-sliding-window-counter"

# KEYS: the previous and the current window. ARGV: limit, window seconds, cost. limits' own
# sliding-window acquisition (acquire_sliding_window.lua), answering with the window it
# leaves too: {1 if acquired else 0, previous count, its ms to live, current count, its ms}.
ACQUIRE = """
local limit = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2]) * 1000
local amount = tonumber(ARGV[3])
local function window(acquired)
  return {acquired, tonumber(redis.call('get', KEYS[1])) or 0,
    math.max(0, tonumber(redis.call('pttl', KEYS[1])) or 0),
    tonumber(redis.call('get', KEYS[2])) or 0,
    math.max(0, tonumber(redis.call('pttl', KEYS[2])) or 0)}
end
if amount > limit then return {0} end
local current_ttl = tonumber(redis.call('pttl', KEYS[2]))
if current_ttl > 0 and current_ttl < expiry then
  redis.call('rename', KEYS[2], KEYS[1])
  redis.call('set', KEYS[2], 0, 'PX', current_ttl + expiry)
end
local state = window(0)
local weighted = math.floor(state[2] * state[3] / expiry) + state[4]
if weighted + amount > limit then return state end
if redis.call('exists', KEYS[2]) == 1 then
  redis.call('incrby', KEYS[2], amount)
else
  redis.call('set', KEYS[2], amount, 'PX', expiry * 2)
end
return window(1)
"""


class OneTripSlidingWindow(SlidingWindowCounterRateLimiter):
    """limits' sliding window counter whose hit also reads the window it leaves, kept for
    the request, so its ``X-RateLimit-*`` headers cost no second round trip."""

    def __init__(self, storage) -> None:
        super().__init__(storage)
        self._acquire = storage.get_connection().register_script(ACQUIRE)

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1) -> bool:
        key, storage = item.key_for(*identifiers), self.storage
        acquired, *window = self._acquire(keys=[
            storage.prefixed_key(storage._previous_window_key(key)),  # type: ignore[attr-defined]
            storage.prefixed_key(storage._current_window_key(key)),  # type: ignore[attr-defined]
        ], args=[item.amount, item.get_expiry(), cost])
        if window and has_request_context():
            previous, previous_ms, current, current_ms = (int(value) for value in window)
            g.setdefault("rate_windows", {})[key] = (previous, previous_ms / 1000, current,
                                                     current_ms / 1000)
        return bool(acquired)

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        """The window the request's hit left (read by it), else read now."""
        key = item.key_for(*identifiers)
        window = g.get("rate_windows", {}).pop(key, None) if has_request_context() else None
        if window is None:
            return super().get_window_stats(item, *identifiers)
        previous, previous_expires_in, current, current_expires_in = window
        # as limits computes it from the window it reads
        remaining = max(0, item.amount - math.floor(
            self._weighted_count(item, previous, previous_expires_in, current)))
        now = time.time()
        if not (previous or current):
            return WindowStats(now, remaining)
        expiry = item.get_expiry()
        previous_reset_in = previous_expires_in % (expiry / previous) if previous else math.inf
        current_reset_in = current_expires_in % expiry if current else math.inf
        return WindowStats(now + min(previous_reset_in, current_reset_in), remaining)


STRATEGIES.setdefault(STRATEGY, OneTripSlidingWindow)  # type: ignore[arg-type]


def storage_uri(redis_url: str) -> str:
    """DIA3's Redis URL in the spelling of the ``limits`` library (unix sockets and
    Sentinels differ)."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    if is_sentinel(redis_url):
        hosts = ",".join(part[len(SENTINEL):] for part in redis_url.split(";"))
        return f"redis+sentinel://{hosts}/{get_settings().redis_master_name}"
    return redis_url


def storage_options(redis_url: str) -> dict:
    """The ``limits`` storage's client options: DIA3's timeouts, TLS and password; with
    Sentinels their credentials, and counting on the primary only (replicas lag)."""
    options: dict = {"socket_timeout": SOCKET_TIMEOUT, "key_prefix": KEY_PREFIX,
                     **tls_options(redis_url)}
    if not redis_url.startswith("unix://"):
        options["socket_connect_timeout"] = CONNECT_TIMEOUT
    password = get_settings().redis_auth
    if password:
        options["password"] = password
    if is_sentinel(redis_url):
        options.update(sentinel_kwargs=sentinel_kwargs(redis_url), use_replicas=False,
                       **({"ssl": True} if "ssl_cert_reqs" in options else {}))
    return options


def identity() -> str:
    """Whose budget a request spends: its API key's id, else its client address."""
    principal = g.get("principal")
    if principal is not None:
        return f"key:{principal.key_id}"
    return f"addr:{g.get('client') or client_address()}"


def current_limit() -> str:
    """The limit of the request's role (read per request, so a settings reload applies)."""
    settings = get_settings()
    principal = g.get("principal")
    if principal is None:
        return settings.rate_limit_anonymous
    return getattr(settings, f"rate_limit_{principal.role}", settings.rate_limit_viewer)


def exempt() -> bool:
    """Only the versioned API is limited; health, readiness and metrics never are."""
    return not request.path.startswith("/api/v1/")


def _window(limiter: Limiter) -> tuple[int, int, int] | None:
    """(limit, remaining, reset epoch) of the request's limit, None when unlimited or when
    the storage cannot say (Redis down: fail open, without headers)."""
    if "rate_window" in g:  # the 429 handler and the headers share one storage read
        return g.rate_window
    current = limiter.current_limit
    window = None
    if current is not None:
        try:
            window = current.limit.amount, current.remaining, current.reset_at
        except Exception as exc:  # headers are best effort
            log.warning("rate limit headers unavailable",
                        extra={"reason": exc.__class__.__name__})
    g.rate_window = window
    return window


def _refusal(item: RateLimitItem, window: tuple[int, int, int] | None,
             count: int) -> OverBudget:
    """The refusal of ``count`` requests (or jobs) over the budget of ``item`` (counted)."""
    period = item.get_expiry()  # the window, an upper bound on the wait
    wait = min(period, max(1, math.ceil(window[2] - time.time()))) if window else period
    principal = g.get("principal")
    metrics.RATE_LIMIT_REJECTIONS.labels(principal.role if principal else "anonymous").inc(count)
    who = "API key" if principal is not None else "client address"
    return OverBudget(f"Rate limit of {item} per {who} exceeded; retry in {wait} s.",
                      str(item), wait)


def budget(count: int) -> tuple[int, OverBudget | None]:
    """Spend the rest of ``count`` units (the request spent one) of the request's budget, for
    requests that count what they hold (the jobs of a bulk submission); returns how many
    fit, and the refusal of the others. Fails open, as the limiter does."""
    limiter = next(iter(current_app.extensions.get("limiter", ())), None)
    current = limiter.current_limit if limiter is not None else None
    window = _window(limiter) if current is not None else None
    if count <= 1 or window is None:
        return count, None
    amount, remaining, reset = window
    extra = min(count - 1, remaining)
    try:
        if extra and not limiter.limiter.hit(current.limit, *current.request_args, cost=extra):
            extra = 0  # another request took the rest meanwhile
    except Exception as exc:  # the storage failed: open, as for requests
        log.warning("rate limit not counted", extra={"reason": exc.__class__.__name__})
        return count, None
    g.rate_window = amount, remaining - extra, reset  # the headers say what is left
    allowed = 1 + extra
    if allowed == count:
        return count, None
    return allowed, _refusal(current.limit, g.rate_window, count - allowed)


def install(app: Flask, redis_url: str) -> Limiter:
    """Rate-limit ``app`` on ``redis_url``; call after the authentication middleware so the
    principal is known when the limit is checked."""
    limiter = Limiter(
        identity,
        application_limits=[ApplicationLimit(limit_provider=current_limit, exempt_when=exempt)],
        storage_uri=storage_uri(redis_url),
        storage_options=storage_options(redis_url),
        strategy=STRATEGY,  # limits' sliding window counter, headers in the same round trip
        swallow_errors=True,  # fail open when Redis is unreachable (logged)
        headers_enabled=False,  # written below: Retry-After only on a 429
    )
    limiter.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def too_many_requests(exc: RateLimitExceeded) -> Response:
        refusal = _refusal(exc.limit.limit, _window(limiter), 1)
        return error_response(status_of(exc), str(refusal), {"limit": refusal.limit},
                              headers={"Retry-After": str(refusal.retry_after)})

    @app.after_request
    def rate_limit_headers(response: Response) -> Response:
        window = _window(limiter)
        if window:
            limit, remaining, reset = window
            response.headers[HEADER_LIMIT] = str(limit)
            response.headers[HEADER_REMAINING] = str(remaining)
            response.headers[HEADER_RESET] = str(reset)
        return response

    return limiter

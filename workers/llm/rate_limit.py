"""A requests-and-tokens-per-window limiter shared by every worker process through Redis.

It is an exact sliding-window log: one sorted set of admission times for requests, one of
(time, tokens) entries plus a running sum for tokens. A Lua script checks both limits and
admits atomically using the Redis server clock, so all processes agree on time. When a
request does not fit, the script says how long until enough capacity frees up, and the
caller sleeps that long and asks again (recording the wait).

A client call takes a :class:`Reservation`: an estimate of its tokens, admitted before each
upstream attempt and settled against the tokens the reply really used.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis

from app import redis_keys

from . import metrics
from .errors import LLMPermanentError, LLMTransientError
from .messages import LLMRequest
from .tokens import estimate_request_tokens

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local request_limit = tonumber(ARGV[2])
local token_limit = tonumber(ARGV[3])
local tokens = tonumber(ARGV[4])
local member = ARGV[5]
local cutoff = now - window

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', cutoff)
local used = tonumber(redis.call('GET', KEYS[3]) or '0')
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff)
for _, entry in ipairs(expired) do
  used = used - tonumber(string.match(entry, ':(%d+)$'))
end
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff)
end
if used < 0 then used = 0 end

local wait = 0
if request_limit > 0 then
  local count = redis.call('ZCARD', KEYS[1])
  if count >= request_limit then
    local freeing = redis.call('ZRANGE', KEYS[1], count - request_limit, count - request_limit,
                               'WITHSCORES')
    wait = tonumber(freeing[2]) + window - now
  end
end
if token_limit > 0 and used + tokens > token_limit then
  local entries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  local freed = 0
  for i = 1, #entries, 2 do
    freed = freed + tonumber(string.match(entries[i], ':(%d+)$'))
    if used - freed + tokens <= token_limit then
      wait = math.max(wait, tonumber(entries[i + 1]) + window - now)
      break
    end
  end
end
if wait > 0 then
  redis.call('SET', KEYS[3], used, 'PX', math.ceil(window / 1000) + 1000)
  return {0, wait, now}
end

local ttl = math.ceil(window / 1000) + 1000
if request_limit > 0 then
  redis.call('ZADD', KEYS[1], now, member)
  redis.call('PEXPIRE', KEYS[1], ttl)
end
if token_limit > 0 then
  redis.call('ZADD', KEYS[2], now, member .. ':' .. tokens)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('SET', KEYS[3], used + tokens, 'PX', ttl)
end
return {1, 0, now}
"""

_CHARGE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = math.ceil(tonumber(ARGV[1]) / 1000) + 1000
redis.call('ZADD', KEYS[1], now, ARGV[3] .. ':' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('INCRBY', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
return now
"""


@dataclass(frozen=True)
class RateLimits:
    """Limits per window (a minute by default); ``None`` means unlimited."""

    requests_per_window: int | None = None
    tokens_per_window: int | None = None

    @property
    def unlimited(self) -> bool:
        return not self.requests_per_window and not self.tokens_per_window


@dataclass(frozen=True)
class Admission:
    """The outcome of :meth:`RedisRateLimiter.acquire`."""

    waited_s: float
    admitted_at_us: int  # Redis server time of admission, in microseconds


class RedisRateLimiter:
    """One limiter object per process; the state lives in Redis under ``key_prefix``."""

    def __init__(
        self,
        redis_client: redis.Redis,
        limits: Mapping[str, RateLimits],
        *,
        key_prefix: str = redis_keys.LLM,
        window_s: float = 60.0,
        max_wait_s: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._redis = redis_client
        self._limits = dict(limits)
        self._prefix = f"{key_prefix}:ratelimit"
        self._window_us = int(window_s * 1_000_000)
        self._max_wait_s = max_wait_s
        self._sleep = sleep
        self._acquire = redis_client.register_script(_ACQUIRE)
        self._charge = redis_client.register_script(_CHARGE)

    def limits_for(self, provider: str) -> RateLimits:
        return self._limits.get(provider, RateLimits())

    def acquire(self, provider: str, tokens: int = 0) -> Admission:
        """Block until one request with ``tokens`` tokens fits the provider's window.

        Raises :class:`LLMTransientError` (with ``retry_after``) rather than wait longer than
        ``max_wait_s`` in total, and :class:`LLMPermanentError` if ``tokens`` can never fit.
        """
        limits = self.limits_for(provider)
        if limits.unlimited:
            return Admission(waited_s=0.0, admitted_at_us=0)
        if limits.tokens_per_window and tokens > limits.tokens_per_window:
            raise LLMPermanentError(
                f"request needs ~{tokens} tokens but the {provider} limit is "
                f"{limits.tokens_per_window} per window",
                backend=provider,
            )
        waited = 0.0
        while True:
            admitted, wait_us, now_us = self._run(
                self._acquire,
                provider,
                keys=self._keys(provider),
                args=[
                    self._window_us,
                    limits.requests_per_window or 0,
                    limits.tokens_per_window or 0,
                    tokens,
                    uuid.uuid4().hex,
                ],
            )
            if admitted:
                return Admission(waited_s=waited, admitted_at_us=int(now_us))
            wait_s = int(wait_us) / 1_000_000
            if waited + wait_s > self._max_wait_s:
                raise LLMTransientError(
                    f"{provider} rate limit: would wait more than {self._max_wait_s:.0f}s",
                    backend=provider,
                    retry_after=wait_s,
                )
            self._sleep(wait_s)
            waited += wait_s

    def charge_extra_tokens(self, provider: str, tokens: int) -> None:
        """Count tokens used beyond what ``acquire`` reserved (estimates run low sometimes)."""
        limits = self.limits_for(provider)
        if tokens <= 0 or not limits.tokens_per_window:
            return
        keys = self._keys(provider)
        self._run(
            self._charge, provider, keys=keys[1:], args=[self._window_us, tokens, uuid.uuid4().hex]
        )

    @staticmethod
    def _run(script, provider: str, **kwargs):
        """Run a limiter script; without Redis nobody can be admitted safely, so fail closed
        with a retryable error."""
        try:
            return script(**kwargs)
        except redis.RedisError as exc:
            error = LLMTransientError(
                f"{provider} rate limiter unavailable: {type(exc).__name__}", backend=provider
            )
        raise error

    def _keys(self, provider: str) -> list[str]:
        base = f"{self._prefix}:{provider}"
        return [f"{base}:requests", f"{base}:tokens", f"{base}:tokens_used"]


@dataclass(frozen=True)
class Reservation:
    """The tokens one logical call asks the limiter for; without a limiter it admits at once."""

    limiter: RedisRateLimiter | None
    provider: str
    tokens: int = 0

    def admit(self) -> float:
        """Wait until the call fits the provider's window; the seconds waited."""
        if self.limiter is None:
            return 0.0
        waited = self.limiter.acquire(self.provider, self.tokens).waited_s
        metrics.RATE_LIMIT_WAIT_SECONDS.labels(self.provider).observe(waited)
        return waited

    def settle(self, used_tokens: int) -> None:
        """Charge what the reply used beyond the estimate (estimates run low sometimes)."""
        if self.limiter is not None:
            self.limiter.charge_extra_tokens(self.provider, used_tokens - self.tokens)


def reserve(
    limiter: RedisRateLimiter | None,
    provider: str,
    request: LLMRequest,
    default_output_tokens: int,
) -> Reservation:
    """A reservation for ``request``: its estimated input plus its output allowance."""
    if limiter is None:
        return Reservation(None, provider)
    output = request.max_output_tokens or default_output_tokens
    return Reservation(limiter, provider, estimate_request_tokens(request) + output)

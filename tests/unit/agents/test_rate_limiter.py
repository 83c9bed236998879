"""The Redis rate limiter: exact sliding windows for requests and tokens, across processes."""

from __future__ import annotations

import multiprocessing
import time

import pytest
import redis
from prometheus_client import REGISTRY

from tests.unit.agents.conftest import MESSAGES, Provider
from tests.unit.agents.limiter_worker import hammer
from workers.llm import (
    LLMPermanentError,
    LLMTransientError,
    RateLimits,
    RedisRateLimiter,
)


def _max_in_any_window(stamps_us: list[int], window_us: int, weights: list[int]) -> int:
    """The largest total weight admitted within any window ending at an admission."""
    pairs = sorted(zip(stamps_us, weights))
    best = 0
    for end, _ in pairs:
        best = max(best, sum(w for t, w in pairs if end - window_us < t <= end))
    return best


def test_requests_beyond_the_limit_wait_for_the_window(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    waits: list[float] = []

    def recording_sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    limiter = RedisRateLimiter(
        redis_client,
        {"openai": RateLimits(3, None)},
        key_prefix=key_prefix,
        window_s=0.3,
        sleep=recording_sleep,
    )
    admissions = [limiter.acquire("openai") for _ in range(4)]

    assert [a.waited_s for a in admissions[:3]] == [0.0, 0.0, 0.0]
    assert admissions[3].waited_s > 0 and admissions[3].waited_s == pytest.approx(sum(waits))
    first, fourth = admissions[0].admitted_at_us, admissions[3].admitted_at_us
    assert fourth - first >= 300_000


def test_tokens_are_limited_per_window(redis_client: redis.Redis, key_prefix: str) -> None:
    limiter = RedisRateLimiter(
        redis_client, {"openai": RateLimits(None, 1000)}, key_prefix=key_prefix, window_s=0.3
    )
    first = limiter.acquire("openai", tokens=600)
    second = limiter.acquire("openai", tokens=600)

    assert first.waited_s == 0.0 and second.waited_s > 0
    assert second.admitted_at_us - first.admitted_at_us >= 300_000


def test_extra_tokens_charged_after_a_call_count(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    limiter = RedisRateLimiter(
        redis_client, {"openai": RateLimits(None, 1000)}, key_prefix=key_prefix, window_s=0.3
    )
    limiter.acquire("openai", tokens=100)
    limiter.charge_extra_tokens("openai", 800)

    assert limiter.acquire("openai", tokens=200).waited_s > 0


def test_a_request_larger_than_the_limit_is_permanent(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    limiter = RedisRateLimiter(
        redis_client, {"openai": RateLimits(None, 100)}, key_prefix=key_prefix
    )
    with pytest.raises(LLMPermanentError):
        limiter.acquire("openai", tokens=101)


def test_too_long_a_wait_is_handed_back_as_transient(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    limiter = RedisRateLimiter(
        redis_client,
        {"openai": RateLimits(1, None)},
        key_prefix=key_prefix,
        window_s=60,
        max_wait_s=1,
    )
    limiter.acquire("openai")
    with pytest.raises(LLMTransientError) as caught:
        limiter.acquire("openai")
    assert 55 < caught.value.retry_after <= 60


def test_providers_have_separate_buckets(redis_client: redis.Redis, key_prefix: str) -> None:
    limits = {"openai": RateLimits(1, None), "ollama": RateLimits(1, None)}
    limiter = RedisRateLimiter(redis_client, limits, key_prefix=key_prefix, max_wait_s=0.5)
    assert limiter.acquire("openai").waited_s == 0.0
    assert limiter.acquire("ollama").waited_s == 0.0
    assert limiter.acquire("local").waited_s == 0.0  # no limits configured


def test_limit_holds_across_two_processes(llm_redis_url: str, key_prefix: str) -> None:
    window_s, request_limit, token_limit, tokens_each, per_process = 0.4, 4, 350, 100, 6
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    args = (
        llm_redis_url,
        key_prefix,
        (request_limit, token_limit),
        window_s,
        per_process,
        tokens_each,
        barrier,
        results,
    )
    workers = [context.Process(target=hammer, args=args) for _ in range(2)]
    for worker in workers:
        worker.start()
    admitted = [item for _ in workers for item in results.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    stamps = [stamp for stamp, _ in admitted]
    window_us = int(window_s * 1_000_000)
    assert len(stamps) == 2 * per_process
    assert _max_in_any_window(stamps, window_us, [1] * len(stamps)) <= request_limit
    tokens = _max_in_any_window(stamps, window_us, [tokens_each] * len(stamps))
    assert tokens <= token_limit
    assert any(waited > 0 for _, waited in admitted)  # both processes really contended
    # 12 admissions at 3 per window (the token limit binds) need at least 3 full windows.
    assert max(stamps) - min(stamps) >= 3 * window_us


def test_client_waits_for_the_limiter_and_records_it(
    provider: Provider, redis_client: redis.Redis, key_prefix: str
) -> None:
    limiter = RedisRateLimiter(
        redis_client,
        {provider.name: RateLimits(2, 100_000)},
        key_prefix=key_prefix,
        window_s=0.3,
    )
    client = provider.client(rate_limiter=limiter)
    labels = {"backend": provider.name}
    count_before = REGISTRY.get_sample_value("dia3_llm_rate_limit_wait_seconds_count", labels)

    limiter.acquire(provider.name)
    limiter.acquire(provider.name)  # the window is now full
    usage = client.chat(MESSAGES).usage

    assert usage.rate_limit_wait_s > 0
    count_after = REGISTRY.get_sample_value("dia3_llm_rate_limit_wait_seconds_count", labels)
    assert count_after - (count_before or 0) == 1
    assert provider.server.request_count("chat") == 1


def test_without_redis_the_limiter_fails_closed_and_retryable(dead_redis: redis.Redis) -> None:
    limiter = RedisRateLimiter(dead_redis, {"openai": RateLimits(10, None)})
    with pytest.raises(LLMTransientError, match="rate limiter unavailable"):
        limiter.acquire("openai")

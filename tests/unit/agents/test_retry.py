"""Retry delays: server-directed waits are honoured, otherwise exponential backoff with jitter."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from workers.llm import LLMPermanentError, LLMTransientError, RetryPolicy
from workers.llm.retry import parse_duration, parse_retry_after


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"Retry-After": "0.25"}, 0.25),
        ({"retry-after-ms": "150", "retry-after": "9"}, 0.15),
        ({"retry-after": "soon"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_parse_retry_after(headers, expected) -> None:
    assert parse_retry_after(headers) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12ms", 0.012), ("20s", 20.0), ("6m0s", 360.0), ("1h2m", 3720.0)],
)
def test_parse_go_duration(text: str, expected: float) -> None:
    assert parse_duration(text) == pytest.approx(expected)


def test_parse_go_duration_rejects_other_text() -> None:
    assert parse_duration("soon") is None and parse_duration("5 s") is None


def test_parse_retry_after_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= parse_retry_after({"retry-after": when}) <= 30


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay_s=1.0, max_delay_s=8.0, rng=random.Random(1))
    error = LLMTransientError("boom")
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0)]:
        delay = policy.delay_before_retry(retry, error)
        assert ceiling / 2 <= delay <= ceiling


def test_retry_after_is_honoured_with_a_little_jitter() -> None:
    policy = RetryPolicy(rng=random.Random(2))
    delays = [policy.delay_before_retry(1, LLMTransientError("429", retry_after=3.0))]
    delays += [policy.delay_before_retry(1, LLMTransientError("429", retry_after=3.0))]
    assert all(3.0 <= d <= 3.3 for d in delays)


def test_gives_up_after_max_attempts_or_too_long_a_wait() -> None:
    policy = RetryPolicy(max_attempts=3, max_retry_after_s=10)
    assert policy.delay_before_retry(3, LLMTransientError("x")) is None
    assert policy.delay_before_retry(1, LLMTransientError("x", retry_after=11)) is None


def test_run_retries_transient_errors_and_sleeps_the_policy_delay() -> None:
    policy = RetryPolicy(max_attempts=3, base_delay_s=1.0, rng=random.Random(3))
    outcomes = [LLMTransientError("busy"), LLMTransientError("busy"), "done"]
    slept: list[float] = []

    def operation() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert policy.run(operation, backend="b", model="m", sleep=slept.append) == "done"
    assert len(slept) == 2 and 0.5 <= slept[0] <= 1.0 and 1.0 <= slept[1] <= 2.0


def test_run_raises_permanent_errors_and_preparation_errors_at_once() -> None:
    policy = RetryPolicy(max_attempts=5)
    calls: list[str] = []

    def permanent() -> None:
        calls.append("op")
        raise LLMPermanentError("no")

    def limiter_gives_up() -> None:
        calls.append("before")
        raise LLMTransientError("would wait too long", retry_after=90)

    with pytest.raises(LLMPermanentError):
        policy.run(permanent, backend="b", model="m", sleep=calls.append)
    with pytest.raises(LLMTransientError):
        policy.run(permanent, backend="b", model="m", before_attempt=limiter_gives_up)
    assert calls == ["op", "before"]

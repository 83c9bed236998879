"""When and how long to wait before repeating a failed upstream request.

Server-directed waits (``retry-after-ms``/``retry-after``) are honoured as given, plus up
to 10 % jitter so a crowd of workers does not return in lockstep; otherwise the delay is
exponential backoff with "equal jitter" (half fixed, half random). :meth:`RetryPolicy.run`
is the one retry loop: transient errors are retried, every other error is raised at once.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from . import metrics
from .errors import LLMTransientError

log = logging.getLogger(__name__)

T = TypeVar("T")


def _nothing() -> None:
    """No preparation before an attempt."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    # A longer server-directed wait is not slept in-process: the error goes to the task
    # layer (carrying retry_after) so it can reschedule instead of blocking a worker.
    max_retry_after_s: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay_before_retry(self, retry_number: int, error: LLMTransientError) -> float | None:
        """Seconds to wait before retry ``retry_number`` (1-based), or ``None`` to give up."""
        if retry_number >= self.max_attempts:
            return None
        if error.retry_after is not None:
            if error.retry_after > self.max_retry_after_s:
                return None
            return error.retry_after * (1.0 + 0.1 * self.rng.random())
        backoff = min(self.max_delay_s, self.base_delay_s * 2 ** (retry_number - 1))
        return backoff / 2 + self.rng.uniform(0, backoff / 2)

    def run(
        self,
        operation: Callable[[], T],
        *,
        backend: str,
        model: str,
        before_attempt: Callable[[], None] = _nothing,
        sleep: Callable[[float], None] = time.sleep,
    ) -> T:
        """``operation()``, repeated after each transient error until it succeeds or the
        policy gives up (then the last error is raised).

        ``before_attempt`` runs ahead of every attempt and its errors are not retried (a rate
        limiter that would wait too long has already waited); ``sleep`` does the waiting.
        """
        retries = 0
        while True:
            before_attempt()
            try:
                return operation()
            except LLMTransientError as exc:
                retries += 1
                delay = self.delay_before_retry(retries, exc)
                if delay is None:
                    log.warning(
                        "%s/%s giving up after %d attempts: %s",
                        backend,
                        model,
                        retries,
                        exc.message,
                    )
                    raise
                log.warning(
                    "%s/%s transient error (%s); retry %d in %.2fs",
                    backend,
                    model,
                    exc.message,
                    retries,
                    delay,
                )
                metrics.RETRIES.labels(backend, model).inc()
                sleep(delay)


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (seconds, float, or HTTP date)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    if (value := lowered.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(text: str | None) -> float | None:
    """Seconds in a Go-style duration such as ``12ms``, ``20s`` or ``6m0s`` (the format of
    OpenAI's ``x-ratelimit-reset-*`` headers)."""
    if text is None:
        return None
    parts = _DURATION_PART.findall(text.strip())
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)

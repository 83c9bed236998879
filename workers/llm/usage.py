"""Per-call usage records the task layer attaches to a job, and their running totals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class UsageRecord:
    """What one ``chat``/``structured`` call consumed.

    ``cost_usd`` is 0.0 for cache hits and the local backend; ``priced`` is False when the
    model had no entry in the price table (the cost is then unknown, reported as 0.0).
    ``tokens_estimated`` is True when the provider reported no usage and we estimated it.
    ``upstream_requests`` counts HTTP requests actually sent (0 on a cache hit).
    """

    backend: str
    model: str
    method: str
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_estimated: bool = False
    cost_usd: float = 0.0
    priced: bool = True
    cached: bool = False
    upstream_requests: int = 0
    rate_limit_wait_s: float = 0.0
    retry_wait_s: float = 0.0
    latency_s: float = 0.0
    repaired: bool = False

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total_tokens"] = self.total_tokens
        return data

    def plus(self, other: UsageRecord) -> UsageRecord:
        """Two consecutive calls of one logical request (e.g. a structured call and its repair)."""
        return replace(
            self,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            tokens_estimated=self.tokens_estimated or other.tokens_estimated,
            cost_usd=self.cost_usd + other.cost_usd,
            priced=self.priced and other.priced,
            cached=self.cached and other.cached,
            upstream_requests=self.upstream_requests + other.upstream_requests,
            rate_limit_wait_s=self.rate_limit_wait_s + other.rate_limit_wait_s,
            retry_wait_s=self.retry_wait_s + other.retry_wait_s,
            latency_s=self.latency_s + other.latency_s,
            repaired=self.repaired or other.repaired,
        )


def summarise_usage(records: Iterable[UsageRecord]) -> dict[str, Any]:
    """Job-level totals: overall and per ``backend/model``."""
    totals: dict[str, Any] = {
        "calls": 0,
        "cache_hits": 0,
        "upstream_requests": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": 0.0,
        "all_priced": True,
        "by_model": {},
    }
    for record in records:
        per_model = totals["by_model"].setdefault(
            f"{record.backend}/{record.model}",
            {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0},
        )
        for bucket in (totals, per_model):
            bucket["calls"] += 1
            bucket["input_tokens"] += record.input_tokens
            bucket["output_tokens"] += record.output_tokens
            bucket["cost_usd"] += record.cost_usd
        totals["cache_hits"] += int(record.cached)
        totals["upstream_requests"] += record.upstream_requests
        totals["all_priced"] = totals["all_priced"] and record.priced
    return totals

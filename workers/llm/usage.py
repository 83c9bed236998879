"""Per-call usage records the task layer attaches to a job, and their running totals.

A :class:`UsageMeter` is the ledger of one logical call while it runs: it times each upstream
attempt, adds up rate-limit and retry waits, and turns the final reply into the call's
:class:`UsageRecord` (tokens, cost, Prometheus metrics, the limiter settled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from . import metrics
from .errors import LLMError, LLMOutputError, LLMTransientError
from .pricing import PriceTable

if TYPE_CHECKING:
    from .backends.base import BackendReply, ChatBackend
    from .rate_limit import Reservation

T = TypeVar("T")


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
    retries: int = 0

    @classmethod
    def cache_hit(cls, backend: ChatBackend, model: str) -> UsageRecord:
        """A call answered from the response cache: nothing sent, nothing spent."""
        return cls(backend=backend.name, model=model, method=backend.method, cached=True)

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
            retries=self.retries + other.retries,
        )


@dataclass
class UsageMeter:
    """What one logical call spends across its upstream attempts (retries included)."""

    backend: ChatBackend
    model: str
    prices: PriceTable
    reservation: Reservation
    clock: Callable[[], float] = field(repr=False)
    sleep: Callable[[float], None] = field(repr=False)
    upstream_requests: int = 0
    rate_limit_wait_s: float = 0.0
    retry_wait_s: float = 0.0
    latency_s: float = 0.0
    retries: int = 0

    def admit(self) -> None:
        """Wait for the rate limiter before an attempt, counting the wait."""
        self.rate_limit_wait_s += self.reservation.admit()

    def measure(self, operation: Callable[[], T]) -> T:
        """One upstream attempt, timed and counted by outcome."""
        self.upstream_requests += int(self.backend.remote)
        started = self.clock()
        try:
            result = operation()
        except LLMError as exc:
            self._observe(_outcome(exc), started)
            raise
        self._observe("ok", started)
        return result

    def pause(self, seconds: float) -> None:
        """Sleep before a retry, counting the wait."""
        self.sleep(seconds)
        self.retry_wait_s += seconds
        self.retries += 1

    def record(self, reply: BackendReply) -> UsageRecord:
        """The call's usage once ``reply`` (the final one) has arrived."""
        name, model = self.backend.name, self.model
        self.reservation.settle(reply.input_tokens + reply.output_tokens)
        cost = self.prices.cost(model, reply.input_tokens, reply.output_tokens)
        if not self.backend.remote:
            cost = 0.0
        metrics.TOKENS.labels(name, model, "input").inc(reply.input_tokens)
        metrics.TOKENS.labels(name, model, "output").inc(reply.output_tokens)
        metrics.COST_USD.labels(name, model).inc(cost or 0.0)
        return UsageRecord(
            backend=name,
            model=model,
            method=self.backend.method,
            input_tokens=reply.input_tokens,
            output_tokens=reply.output_tokens,
            tokens_estimated=reply.tokens_estimated,
            cost_usd=cost or 0.0,
            priced=cost is not None,
            upstream_requests=self.upstream_requests + max(0, reply.requests - 1),
            rate_limit_wait_s=self.rate_limit_wait_s,
            retry_wait_s=self.retry_wait_s,
            latency_s=self.latency_s,
            retries=self.retries,
        )

    def failed(self) -> UsageRecord:
        """The usage of a call that failed: no reply, but every request it sent, its waits
        and retries (a provider may bill a request whose answer never arrived)."""
        return UsageRecord(
            backend=self.backend.name,
            model=self.model,
            method=self.backend.method,
            tokens_estimated=True,
            priced=False,
            upstream_requests=self.upstream_requests,
            rate_limit_wait_s=self.rate_limit_wait_s,
            retry_wait_s=self.retry_wait_s,
            latency_s=self.latency_s,
            retries=self.retries,
        )

    def _observe(self, outcome: str, started: float) -> None:
        elapsed = self.clock() - started
        self.latency_s += elapsed
        metrics.REQUESTS.labels(self.backend.name, self.model, outcome).inc()
        metrics.REQUEST_SECONDS.labels(self.backend.name, self.model).observe(elapsed)


def _outcome(error: LLMError) -> str:
    """The ``outcome`` label of ``dia3_llm_requests_total`` for a failed attempt."""
    if isinstance(error, LLMTransientError):
        return "transient_error"
    if isinstance(error, LLMOutputError):
        return "invalid_output"
    return "permanent_error"


def summarise_usage(records: Iterable[UsageRecord]) -> dict[str, Any]:
    """Job-level totals: overall and per ``backend/model``.

    ``tokens_estimated`` is True when any call's counts were estimated (a provider that
    reported none); ``retries``, ``repairs`` and the waits show what the calls took besides
    their answers, failed calls included.
    """
    totals: dict[str, Any] = {
        "calls": 0,
        "cache_hits": 0,
        "upstream_requests": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": 0.0,
        "all_priced": True,
        "tokens_estimated": False,
        "retries": 0,
        "repairs": 0,
        "rate_limit_wait_s": 0.0,
        "retry_wait_s": 0.0,
        "by_model": {},
    }
    for record in records:
        per_model = totals["by_model"].setdefault(
            f"{record.backend}/{record.model}",
            {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0,
             "tokens_estimated": False},
        )
        for bucket in (totals, per_model):
            bucket["calls"] += 1
            bucket["input_tokens"] += record.input_tokens
            bucket["output_tokens"] += record.output_tokens
            bucket["cost_usd"] += record.cost_usd
            bucket["tokens_estimated"] = bucket["tokens_estimated"] or record.tokens_estimated
        totals["cache_hits"] += int(record.cached)
        totals["upstream_requests"] += record.upstream_requests
        totals["all_priced"] = totals["all_priced"] and record.priced
        totals["retries"] += record.retries
        totals["repairs"] += int(record.repaired)
        totals["rate_limit_wait_s"] += record.rate_limit_wait_s
        totals["retry_wait_s"] += record.retry_wait_s
    return totals

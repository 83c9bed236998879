"""All Prometheus metrics of the LLM layer, defined once in the default registry.

``outcome`` of ``dia3_llm_requests_total`` is one of: ``ok``, ``transient_error``,
``permanent_error``, ``invalid_output`` (counted per upstream request).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "dia3_llm_requests_total",
    "Upstream LLM requests by outcome.",
    ["backend", "model", "outcome"],
)
TOKENS = Counter(
    "dia3_llm_tokens_total",
    "Tokens consumed, by kind (input or output).",
    ["backend", "model", "kind"],
)
COST_USD = Counter(
    "dia3_llm_cost_usd_total",
    "Spend in USD according to the configured price table.",
    ["backend", "model"],
)
CACHE_HITS = Counter(
    "dia3_llm_cache_hits_total",
    "Calls answered from the response cache.",
    ["backend", "model"],
)
CACHE_MISSES = Counter(
    "dia3_llm_cache_misses_total",
    "Calls that had to go upstream.",
    ["backend", "model"],
)
RETRIES = Counter(
    "dia3_llm_retries_total",
    "Upstream requests repeated after a transient error.",
    ["backend", "model"],
)
STRUCTURED_MODE = Counter(
    "dia3_llm_structured_mode_total",
    "How OpenAI-compatible servers take a JSON schema (mode json_schema or json_object), by "
    "source: detected from the server's answers, or recalled from another process's detection.",
    ["backend", "mode", "source"],
)
REPAIRS = Counter(
    "dia3_llm_structured_repairs_total",
    "Structured-output repair attempts, by whether the repair produced valid output.",
    ["backend", "model", "outcome"],
)
RATE_LIMIT_WAIT_SECONDS = Histogram(
    "dia3_llm_rate_limit_wait_seconds",
    "Time spent waiting for the shared rate limiter before a request.",
    ["backend"],
    buckets=(0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
REQUEST_SECONDS = Histogram(
    "dia3_llm_request_seconds",
    "Duration of one upstream request.",
    ["backend", "model"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)

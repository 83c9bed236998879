"""Building a configured client from settings."""

from __future__ import annotations

import pytest
import redis

from tests.unit.agents.conftest import EVIDENCE, MESSAGES, PERSPECTIVE_SCHEMA, Provider
from workers.llm import (
    LOCAL_MODEL,
    LLMPermanentError,
    LLMSettings,
    LocalBackend,
    OllamaBackend,
    OpenAIBackend,
    RequestOptions,
    Secret,
    build_backend,
    build_llm_client,
)


def test_each_backend_is_built_from_settings() -> None:
    assert isinstance(build_backend(LLMSettings()), LocalBackend)
    assert isinstance(build_backend(LLMSettings(backend="ollama")), OllamaBackend)
    with_key = LLMSettings(backend="openai", openai_api_key=Secret("sk-test-123456"))
    assert isinstance(build_backend(with_key), OpenAIBackend)
    with pytest.raises(LLMPermanentError, match="no OpenAI API key"):
        build_backend(LLMSettings(backend="openai"))
    with pytest.raises(LLMPermanentError, match="unknown LLM backend"):
        build_backend(LLMSettings(backend="gpt-in-a-box"))


def test_local_client_needs_no_configuration() -> None:
    client = build_llm_client(LLMSettings())
    result = client.structured(MESSAGES, PERSPECTIVE_SCHEMA, RequestOptions(evidence=EVIDENCE))
    assert result.usage.model == LOCAL_MODEL and result.data["method"] == "extractive"


def test_ollama_client_with_cache_rate_limit_and_roles(
    ollama_provider: Provider, redis_client: redis.Redis, key_prefix: str
) -> None:
    settings = LLMSettings(
        backend="ollama",
        ollama_url=ollama_provider.server.base_url,
        default_model="llama3.2",
        role_models={"final_report": "llama3.1:70b"},
        requests_per_minute=100,
        tokens_per_minute=100_000,
        cache_ttl_s=60,
        prices={"llama3.1": (0.0, 0.0)},
        redis_key_prefix=key_prefix,
    )
    client = build_llm_client(settings, redis_client)
    first = client.chat(MESSAGES, RequestOptions(role="final_report"))
    second = client.chat(MESSAGES, RequestOptions(role="final_report"))

    assert first.usage.model == "llama3.1:70b" and first.usage.priced
    assert second.usage.cached
    assert ollama_provider.server.request_count("chat") == 1
    assert list(redis_client.scan_iter(f"{key_prefix}:ratelimit:ollama:*"))


def test_a_role_without_a_model_is_a_clear_error() -> None:
    client = build_llm_client(LLMSettings(backend="ollama"))
    with pytest.raises(LLMPermanentError, match="no model configured for role 'perspective'"):
        client.chat(MESSAGES, RequestOptions(role="perspective"))

"""The Redis response cache: a repeated request is answered without going upstream."""

from __future__ import annotations

import redis
from prometheus_client import REGISTRY

from tests.fakes import ScriptedResponse
from tests.unit.agents.conftest import (
    EVIDENCE,
    MESSAGES,
    PERSPECTIVE_SCHEMA,
    VALID_PERSPECTIVE,
    Provider,
)
from workers.llm import (
    LOCAL_MODEL,
    LLMClient,
    LocalBackend,
    RequestOptions,
    ResponseCache,
)


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_cache_hit_makes_no_second_upstream_request(
    provider: Provider, redis_client: redis.Redis, key_prefix: str
) -> None:
    cache = ResponseCache(redis_client, ttl_s=60, key_prefix=key_prefix)
    client = provider.client(cache=cache)
    labels = {"backend": provider.name, "model": provider.model}
    hits_before = _sample("dia3_llm_cache_hits_total", **labels)

    first = client.chat(MESSAGES, RequestOptions(evidence=EVIDENCE))
    second = client.chat(MESSAGES, RequestOptions(evidence=EVIDENCE))

    assert provider.server.request_count("chat") == 1
    assert second.text == first.text
    assert second.usage.cached and second.usage.upstream_requests == 0
    assert second.usage.cost_usd == 0.0 and second.usage.total_tokens == 0
    assert _sample("dia3_llm_cache_hits_total", **labels) == hits_before + 1


def test_structured_results_are_cached_after_validation(
    provider: Provider, redis_client: redis.Redis, key_prefix: str
) -> None:
    provider.server.enqueue(
        ScriptedResponse.reply("not json"), ScriptedResponse.json_reply(VALID_PERSPECTIVE)
    )
    client = provider.client(cache=ResponseCache(redis_client, ttl_s=60, key_prefix=key_prefix))

    first = client.structured(MESSAGES, PERSPECTIVE_SCHEMA)
    second = client.structured(MESSAGES, PERSPECTIVE_SCHEMA)

    assert provider.server.request_count("chat") == 2  # the original and its repair only
    assert second.data == first.data and second.usage.cached


def test_any_parameter_change_misses(
    provider: Provider, redis_client: redis.Redis, key_prefix: str
) -> None:
    client = provider.client(cache=ResponseCache(redis_client, ttl_s=60, key_prefix=key_prefix))

    client.chat(MESSAGES)
    client.chat(MESSAGES, RequestOptions(temperature=0.5))
    client.chat(MESSAGES, RequestOptions(model="other-model"))
    client.chat(MESSAGES, RequestOptions(evidence=EVIDENCE[:1]))
    client.chat(MESSAGES[1:])
    client.chat(MESSAGES, RequestOptions(use_cache=False))

    assert provider.server.request_count("chat") == 6


def test_entries_expire_after_the_ttl(redis_client: redis.Redis, key_prefix: str) -> None:
    cache = ResponseCache(redis_client, ttl_s=30, key_prefix=key_prefix)
    client = LLMClient(LocalBackend(), default_model=LOCAL_MODEL, cache=cache)
    client.chat(MESSAGES, RequestOptions(evidence=EVIDENCE))

    keys = list(redis_client.scan_iter(f"{key_prefix}:cache:*"))
    assert len(keys) == 1
    assert 0 < redis_client.ttl(keys[0]) <= 30


def test_failures_are_not_cached(
    provider: Provider, redis_client: redis.Redis, key_prefix: str
) -> None:
    provider.server.enqueue(provider.unauthorized())
    client = provider.client(cache=ResponseCache(redis_client, ttl_s=60, key_prefix=key_prefix))
    try:
        client.chat(MESSAGES)
    except Exception:  # noqa: BLE001 - the failure itself is tested elsewhere
        pass

    assert client.chat(MESSAGES).usage.upstream_requests == 1
    assert provider.server.request_count("chat") == 2


def test_without_redis_the_cache_is_skipped(provider: Provider, dead_redis: redis.Redis) -> None:
    client = provider.client(cache=ResponseCache(dead_redis, ttl_s=60))
    assert client.chat(MESSAGES).text == client.chat(MESSAGES).text
    assert provider.server.request_count("chat") == 2

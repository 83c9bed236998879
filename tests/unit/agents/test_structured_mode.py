"""What ``auto`` finds out about a server's structured output, shared by every process: the
mode is detected once per server (the refused ``json_schema`` request paid once), kept in
Redis by the server's URL, recalled by the other processes' backends before their first
request, and counted in ``dia3_llm_structured_mode_total``; Redis failing costs only the
sharing."""

from __future__ import annotations

import redis
from prometheus_client import REGISTRY

from app.llm import structured_modes
from tests.fakes import ScriptedResponse
from tests.unit.agents.conftest import (
    MESSAGES,
    PERSPECTIVE_SCHEMA,
    TEST_API_KEY,
    VALID_PERSPECTIVE,
    Provider,
)
from tests.unit.agents.test_openai_compat import REFUSED, formats
from workers.llm import RequestOptions
from workers.llm.structured_mode import ModeMemory

UNCACHED = RequestOptions(use_cache=False)


def counted(mode: str, source: str) -> float:
    labels = {"backend": "openai", "mode": mode, "source": source}
    return REGISTRY.get_sample_value("dia3_llm_structured_mode_total", labels) or 0.0


def test_a_refusal_is_detected_once_per_server_and_recalled_by_other_processes(
        openai_provider: Provider, redis_client: redis.Redis, key_prefix: str) -> None:
    server = openai_provider.server
    server.enqueue(REFUSED, *[ScriptedResponse.json_reply(VALID_PERSPECTIVE)] * 3)
    memory = ModeMemory(redis_client, key_prefix=key_prefix)
    detected, recalled = counted("json_object", "detected"), counted("json_object", "recalled")

    first = openai_provider.client(backend_kwargs={"mode_memory": memory})
    first.structured(MESSAGES, PERSPECTIVE_SCHEMA, UNCACHED)
    # Two more processes (their own backends) start on the same server.
    for _ in range(2):
        other = openai_provider.client(
            backend_kwargs={"mode_memory": ModeMemory(redis_client, key_prefix=key_prefix)})
        assert other.backend.structured_output == "auto"  # nothing asked yet
        result = other.structured(MESSAGES, PERSPECTIVE_SCHEMA, UNCACHED)
        assert result.usage.upstream_requests == 1  # no refused request of its own
        assert other.backend.structured_output == "json_object"

    assert formats(server) == ["json_schema", "json_object", "json_object", "json_object"]
    assert structured_modes(redis_client, key_prefix) == {first.backend.server: "json_object"}
    assert counted("json_object", "detected") == detected + 1
    assert counted("json_object", "recalled") == recalled + 2


def test_a_server_that_takes_json_schema_is_remembered_so(
        openai_provider: Provider, redis_client: redis.Redis, key_prefix: str) -> None:
    server = openai_provider.server
    server.enqueue(*[ScriptedResponse.json_reply(VALID_PERSPECTIVE)] * 2)
    memory = ModeMemory(redis_client, key_prefix=key_prefix)
    first = openai_provider.client(backend_kwargs={"mode_memory": memory})
    first.structured(MESSAGES, PERSPECTIVE_SCHEMA, UNCACHED)
    assert first.backend.structured_output == "json_schema"
    assert memory.recall(first.backend.server) == "json_schema"
    assert memory.recall("http://another.example/v1") is None  # by server, not global
    other = openai_provider.client(backend_kwargs={"mode_memory": memory})
    other.structured(MESSAGES, PERSPECTIVE_SCHEMA, UNCACHED)
    assert formats(server) == ["json_schema", "json_schema"]


def test_plain_chats_and_explicit_modes_leave_the_memory_alone(
        openai_provider: Provider, redis_client: redis.Redis, key_prefix: str) -> None:
    server = openai_provider.server
    server.enqueue(*[ScriptedResponse.json_reply(VALID_PERSPECTIVE)] * 2)
    memory = ModeMemory(redis_client, key_prefix=key_prefix)
    openai_provider.client(backend_kwargs={"mode_memory": memory}).chat(MESSAGES, UNCACHED)
    explicit = openai_provider.client(backend_kwargs={"mode_memory": memory,
                                                      "structured_output": "json_object"})
    explicit.structured(MESSAGES, PERSPECTIVE_SCHEMA, UNCACHED)
    assert structured_modes(redis_client, key_prefix) == {}


def test_without_redis_each_process_detects_for_itself(
        openai_provider: Provider, dead_redis: redis.Redis) -> None:
    server = openai_provider.server
    server.enqueue(REFUSED, ScriptedResponse.json_reply(VALID_PERSPECTIVE))
    client = openai_provider.client(backend_kwargs={"mode_memory": ModeMemory(dead_redis)})
    result = client.structured(MESSAGES, PERSPECTIVE_SCHEMA, UNCACHED)
    assert result.data["summary"] == VALID_PERSPECTIVE["summary"]
    assert client.backend.structured_output == "json_object"
    assert formats(server) == ["json_schema", "json_object"]


def test_the_workers_clients_share_the_mode_through_their_redis(
        openai_provider: Provider, redis_client: redis.Redis, key_prefix: str) -> None:
    """build_llm_client (what each worker process calls) wires the memory to its Redis."""
    from workers.llm.factory import build_llm_client
    from workers.llm.settings import LLMSettings

    server = openai_provider.server
    ModeMemory(redis_client, key_prefix=key_prefix).remember(f"{server.base_url}/",
                                                             "json_object")
    server.enqueue(ScriptedResponse.json_reply(VALID_PERSPECTIVE))
    settings = LLMSettings(backend="openai", openai_api_key=TEST_API_KEY,
                           openai_base_url=server.base_url, default_model="gpt-4o",
                           redis_key_prefix=key_prefix, cache_ttl_s=0)
    client = build_llm_client(settings, redis_client)
    assert client.backend.server == f"{server.base_url}/"
    client.structured(MESSAGES, PERSPECTIVE_SCHEMA, UNCACHED)
    assert formats(server) == ["json_object"]

"""OpenAI and Ollama backends driven through their official clients against the fake servers.

Every test runs once per provider; nothing in our code is patched.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.fakes import FakeOllamaServer, FakeOpenAIServer, ScriptedResponse, error_fixture
from tests.unit.agents.conftest import (
    EVIDENCE,
    MESSAGES,
    PERSPECTIVE_SCHEMA,
    VALID_PERSPECTIVE,
    Provider,
)
from workers.llm import (
    LLMOutputError,
    LLMPermanentError,
    LLMTransientError,
    RequestOptions,
    RetryPolicy,
)


def test_chat_returns_text_and_provider_usage(provider: Provider) -> None:
    provider.server.enqueue(ScriptedResponse.reply("Acme is doing well.", usage=(42, 7)))
    result = provider.client().chat(MESSAGES, RequestOptions(temperature=0.0))

    assert result.text == "Acme is doing well."
    usage = result.usage
    assert (usage.backend, usage.model, usage.method) == (provider.name, provider.model, "llm")
    assert (usage.input_tokens, usage.output_tokens, usage.tokens_estimated) == (42, 7, False)
    assert usage.cost_usd == pytest.approx((42 * 2.5 + 7 * 10.0) / 1_000_000)
    assert usage.upstream_requests == 1 and not usage.cached
    sent = provider.server.requests[0].json
    assert sent["model"] == provider.model
    assert sent["messages"][: len(MESSAGES)] == MESSAGES


def test_evidence_is_sent_with_ids_in_the_prompt(provider: Provider) -> None:
    provider.client().chat(MESSAGES, RequestOptions(evidence=EVIDENCE))

    last = provider.server.requests[0].json["messages"][-1]
    assert last["role"] == "user"
    for passage in EVIDENCE:
        assert f"[{passage['id']}] {passage['text']}" in last["content"]


def test_structured_output_sends_the_schema_and_returns_valid_data(provider: Provider) -> None:
    provider.server.enqueue(ScriptedResponse.json_reply(VALID_PERSPECTIVE))
    result = provider.client().structured(MESSAGES, PERSPECTIVE_SCHEMA, schema_name="perspective")

    assert result.data == {**VALID_PERSPECTIVE, "method": "llm"}
    assert not result.usage.repaired and result.usage.upstream_requests == 1
    body = provider.server.requests[0].json
    if provider.name == "openai":
        assert body["response_format"] == {
            "type": "json_schema",
            "json_schema": {"name": "perspective", "schema": PERSPECTIVE_SCHEMA, "strict": False},
        }
    else:
        assert body["format"] == PERSPECTIVE_SCHEMA
        assert body["stream"] is False


def test_malformed_json_is_repaired_once(provider: Provider) -> None:
    provider.server.enqueue(
        ScriptedResponse.reply('{"summary": "cut off'),
        ScriptedResponse.json_reply(VALID_PERSPECTIVE),
    )
    result = provider.client().structured(MESSAGES, PERSPECTIVE_SCHEMA)

    assert result.data["findings"] == VALID_PERSPECTIVE["findings"]
    assert result.usage.repaired and result.usage.upstream_requests == 2
    repair_turn = provider.server.requests[1].json["messages"][-2:]
    assert repair_turn[0] == {"role": "assistant", "content": '{"summary": "cut off'}
    assert "not valid JSON" in repair_turn[1]["content"]


def test_schema_violation_twice_fails_clearly(provider: Provider) -> None:
    violating = {**VALID_PERSPECTIVE, "confidence": 7}
    provider.server.enqueue(
        ScriptedResponse.json_reply(violating), ScriptedResponse.json_reply(violating)
    )
    with pytest.raises(LLMOutputError) as caught:
        provider.client().structured(MESSAGES, PERSPECTIVE_SCHEMA)

    assert provider.server.request_count("chat") == 2
    assert "after one repair attempt" in str(caught.value)
    assert any("$.confidence" in problem for problem in caught.value.problems)
    repair_request = provider.server.requests[1].json["messages"][-1]["content"]
    assert "$.confidence" in repair_request and "7 is greater than the maximum of 1" in (
        repair_request
    )
    assert caught.value.usage is not None and caught.value.usage.upstream_requests == 2


def test_rate_limited_request_honours_retry_after(provider: Provider) -> None:
    provider.server.enqueue(provider.rate_limited(retry_after="0.3"))
    started = time.monotonic()
    result = provider.client().chat(MESSAGES)
    elapsed = time.monotonic() - started

    assert provider.server.request_count("chat") == 2
    assert result.usage.retry_wait_s >= 0.3
    assert elapsed >= 0.3
    assert result.usage.upstream_requests == 2


def test_retry_after_beyond_the_limit_goes_back_to_the_task_layer(provider: Provider) -> None:
    provider.server.enqueue(provider.rate_limited(retry_after="120"))
    with pytest.raises(LLMTransientError) as caught:
        provider.client(retry_policy=RetryPolicy(max_retry_after_s=30)).chat(MESSAGES)

    assert caught.value.retry_after == pytest.approx(120)
    assert caught.value.status_code == 429
    assert provider.server.request_count("chat") == 1


def test_server_error_is_retried_then_succeeds(provider: Provider) -> None:
    provider.server.enqueue(provider.server_error(500), provider.server_error(503))
    result = provider.client().chat(MESSAGES)

    assert provider.server.request_count("chat") == 3
    assert result.usage.upstream_requests == 3
    assert result.usage.retry_wait_s > 0


def test_server_errors_exhaust_the_attempts(provider: Provider) -> None:
    provider.server.enqueue(*[provider.server_error(500) for _ in range(4)])
    with pytest.raises(LLMTransientError) as caught:
        provider.client().chat(MESSAGES)

    assert caught.value.status_code == 500
    assert provider.server.request_count("chat") == 4


def test_unauthorized_is_permanent_and_not_retried(provider: Provider) -> None:
    provider.server.enqueue(provider.unauthorized())
    with pytest.raises(LLMPermanentError) as caught:
        provider.client().chat(MESSAGES)

    assert caught.value.status_code == 401
    assert provider.server.request_count("chat") == 1


def test_timeout_is_transient(provider: Provider) -> None:
    provider.server.latency_s = 0.5
    client = provider.client(
        backend_kwargs={"timeout_s": 0.1}, retry_policy=RetryPolicy(max_attempts=1)
    )
    with pytest.raises(LLMTransientError, match="timed out"):
        client.chat(MESSAGES)


def test_connection_refused_is_transient(provider: Provider) -> None:
    client = provider.client(retry_policy=RetryPolicy(max_attempts=1))
    provider.server.stop()
    with pytest.raises(LLMTransientError):
        client.chat(MESSAGES)


def test_streaming_yields_deltas_and_usage(provider: Provider) -> None:
    provider.server.enqueue(ScriptedResponse.reply("Acme grows in Asia.", usage=(30, 5)))
    stream = provider.client().stream_chat(MESSAGES)
    deltas = list(stream)

    assert len(deltas) > 1
    assert "".join(deltas) == stream.text == "Acme grows in Asia."
    assert (stream.usage.input_tokens, stream.usage.output_tokens) == (30, 5)
    assert provider.server.requests[0].json["stream"] is True


def test_streaming_retries_errors_before_the_first_delta(provider: Provider) -> None:
    provider.server.enqueue(provider.server_error(502), ScriptedResponse.reply("ok then"))
    stream = provider.client().stream_chat(MESSAGES)

    assert "".join(stream) == "ok then"
    assert stream.usage.upstream_requests == 2


def test_error_in_the_middle_of_a_stream_is_transient(provider: Provider) -> None:
    provider.server.enqueue(ScriptedResponse.reply("half an answer", stream_error="overloaded"))
    stream = provider.client().stream_chat(MESSAGES)
    received = []
    with pytest.raises(LLMTransientError, match="overloaded"):
        for delta in stream:
            received.append(delta)

    assert "".join(received) == "half an answer"
    assert stream.usage is None


def test_structured_reply_in_a_code_fence_is_accepted(provider: Provider) -> None:
    fenced = "```json\n" + json.dumps(VALID_PERSPECTIVE) + "\n```"
    provider.server.enqueue(ScriptedResponse.reply(fenced))
    result = provider.client().structured(MESSAGES, PERSPECTIVE_SCHEMA)

    assert result.data["summary"] == VALID_PERSPECTIVE["summary"]
    assert provider.server.request_count("chat") == 1


def test_unresolvable_schema_reference_is_permanent(provider: Provider) -> None:
    schema = {"type": "object", "properties": {"x": {"$ref": "#/$defs/missing"}}}
    provider.server.enqueue(ScriptedResponse.json_reply({"x": 1}))
    with pytest.raises(LLMPermanentError, match="unresolvable"):
        provider.client().structured(MESSAGES, schema)


def test_openai_429_without_retry_after_uses_the_limit_reset(openai_provider: Provider) -> None:
    rate_limited = FakeOpenAIServer.rate_limited(retry_after=None, kind="tokens")
    rate_limited.headers.update(
        {"x-ratelimit-reset-requests": "59s", "x-ratelimit-reset-tokens": "200ms"}
    )
    openai_provider.server.enqueue(rate_limited)
    result = openai_provider.client().chat(MESSAGES)

    assert 0.2 <= result.usage.retry_wait_s <= 0.22
    assert openai_provider.server.request_count("chat") == 2


def test_openai_insufficient_quota_is_permanent(openai_provider: Provider) -> None:
    openai_provider.server.enqueue(
        ScriptedResponse.error(429, error_fixture("429_insufficient_quota"))
    )
    with pytest.raises(LLMPermanentError, match="exceeded your current quota"):
        openai_provider.client().chat(MESSAGES)
    assert openai_provider.server.request_count("chat") == 1


def test_ollama_unknown_model_is_permanent(ollama_provider: Provider) -> None:
    ollama_provider.server.enqueue(FakeOllamaServer.model_not_found("llama3.2"))
    with pytest.raises(LLMPermanentError, match="model 'llama3.2' not found") as caught:
        ollama_provider.client().chat(MESSAGES)
    assert caught.value.status_code == 404
    assert ollama_provider.server.request_count("chat") == 1

"""The OpenAI backend against servers that are OpenAI-compatible but not OpenAI: how it asks
for JSON, context windows, and what it counts when the server reports no usage."""

from __future__ import annotations

import pytest

from tests.fakes import FakeOpenAIServer, ScriptedResponse
from tests.unit.agents.conftest import (
    EVIDENCE,
    MESSAGES,
    PERSPECTIVE_SCHEMA,
    VALID_PERSPECTIVE,
    Provider,
)
from workers.llm import LLMPermanentError, LLMTransientError, RequestOptions
from workers.llm.context import fit_request
from workers.llm.context_window import window_from_model_list, window_from_props
from workers.llm.grammar_schema import grammar_friendly
from workers.llm.messages import Evidence, LLMRequest, Message
from workers.llm.tokens import estimate_request_tokens

REFUSED = ScriptedResponse.error(500, {"error": {"message": "'json_schema' is not a valid "
                                                 "response_format type", "type": "server"}})


def formats(server: FakeOpenAIServer) -> list[str]:
    return [r.json["response_format"]["type"] for r in server.requests
            if r.path.endswith("/chat/completions")]


def test_auto_mode_switches_to_json_object_when_the_server_refuses_json_schema(
        openai_provider: Provider) -> None:
    server = openai_provider.server
    server.enqueue(REFUSED, ScriptedResponse.json_reply(VALID_PERSPECTIVE),
                   ScriptedResponse.json_reply(VALID_PERSPECTIVE))
    client = openai_provider.client()

    first = client.structured(MESSAGES, PERSPECTIVE_SCHEMA, RequestOptions(use_cache=False))
    second = client.structured(MESSAGES, PERSPECTIVE_SCHEMA, RequestOptions(use_cache=False))

    assert first.data["summary"] == VALID_PERSPECTIVE["summary"]
    assert first.usage.upstream_requests == 2  # the refused request counts too
    assert second.usage.upstream_requests == 1
    assert formats(server) == ["json_schema", "json_object", "json_object"]
    sent_schema = server.requests[1].json["response_format"]["schema"]
    assert sent_schema == grammar_friendly(PERSPECTIVE_SCHEMA)  # bounds a grammar enforces
    assert client.backend.structured_output == "json_object"


def test_auto_mode_keeps_json_schema_when_json_object_fails_too(
        openai_provider: Provider) -> None:
    server = openai_provider.server
    server.enqueue(REFUSED, REFUSED)
    backend = openai_provider.make_backend()
    with pytest.raises(LLMTransientError, match="HTTP 500"):
        backend.generate(LLMRequest(model="gpt-4o", messages=(Message("user", "hi"),),
                                    json_schema=PERSPECTIVE_SCHEMA))
    assert formats(server) == ["json_schema", "json_object"]
    assert backend.structured_output == "auto"


def test_credentials_and_rate_limits_never_change_the_mode(openai_provider: Provider) -> None:
    server = openai_provider.server
    server.enqueue(openai_provider.unauthorized())
    client = openai_provider.client()
    with pytest.raises(LLMPermanentError):
        client.structured(MESSAGES, PERSPECTIVE_SCHEMA)
    assert formats(server) == ["json_schema"]
    assert client.backend.structured_output == "auto"


def test_json_object_mode_is_used_from_the_first_request(openai_provider: Provider) -> None:
    openai_provider.server.enqueue(ScriptedResponse.json_reply(VALID_PERSPECTIVE))
    client = openai_provider.client(backend_kwargs={"structured_output": "json_object"})
    client.structured(MESSAGES, PERSPECTIVE_SCHEMA)
    assert formats(openai_provider.server) == ["json_object"]


def test_estimated_usage_counts_the_evidence_and_schema_turn(openai_provider: Provider) -> None:
    completion = {"id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
                  "choices": [{"index": 0, "finish_reason": "stop", "message": {
                      "role": "assistant", "content": '{"summary": "ok"}'}}]}
    openai_provider.server.enqueue(ScriptedResponse.error(200, completion))
    client = openai_provider.client()
    result = client.chat(MESSAGES, RequestOptions(evidence=EVIDENCE))
    sent = openai_provider.server.requests[0].json["messages"]
    sent_chars = sum(len(m["content"]) for m in sent)
    assert result.usage.tokens_estimated
    assert result.usage.input_tokens >= sent_chars // 4  # not just the caller's messages
    assert result.usage.input_tokens == client.count_tokens(MESSAGES, evidence=EVIDENCE)


def test_a_configured_context_window_trims_evidence_and_caps_the_output(
        openai_provider: Provider) -> None:
    passages = [{"id": f"e{i}", "text": "Revenue grew in Europe while costs fell. " * 12}
                for i in range(12)]
    client = openai_provider.client(backend_kwargs={"context_tokens": 1200})
    client.chat(MESSAGES, RequestOptions(evidence=passages, max_output_tokens=400))
    body = openai_provider.server.requests[0].json
    prompt = body["messages"][-1]["content"]
    kept = [p["id"] for p in passages if f"[{p['id']}]" in prompt]
    assert kept and kept == [f"e{i}" for i in range(len(kept))] and len(kept) < 12
    assert body["max_completion_tokens"] <= 400


def test_fitting_keeps_the_best_passages_and_leaves_room_for_the_reply() -> None:
    evidence = tuple(Evidence(f"e{i}", "word " * 200) for i in range(10))
    request = LLMRequest(model="m", messages=(Message("user", "Question?"),),
                         evidence=evidence)
    fitted = fit_request(request, 2048)
    assert 0 < len(fitted.request.evidence) < 10
    assert fitted.request.evidence == evidence[: len(fitted.request.evidence)]
    assert estimate_request_tokens(fitted.request) + fitted.max_output_tokens <= 2048
    assert fitted.max_output_tokens >= 400
    with pytest.raises(LLMPermanentError, match="context window of 512"):
        fit_request(LLMRequest(model="m", messages=(Message("user", "x " * 2000),)), 512)


def test_context_windows_are_read_from_what_servers_publish() -> None:
    assert window_from_props({"default_generation_settings": {"n_ctx": 4096}}) == 4096
    assert window_from_props({"other": 1}) is None
    vllm = {"data": [{"id": "a", "max_model_len": 8192}, {"id": "b", "max_model_len": 32768}]}
    assert window_from_model_list(vllm, "b") == 32768
    llama = {"data": [{"id": "x", "meta": {"n_ctx_train": 8192}}]}
    assert window_from_model_list(llama, "other-name") == 8192  # the only model
    assert window_from_model_list({"data": [{"id": "gpt-4o"}]}, "gpt-4o") is None


def test_failed_calls_carry_what_they_sent(openai_provider: Provider) -> None:
    server = openai_provider.server
    server.enqueue(*[openai_provider.server_error() for _ in range(4)])
    client = openai_provider.client()
    with pytest.raises(LLMTransientError) as raised:
        client.chat(MESSAGES)
    usage = raised.value.usage
    assert usage is not None
    assert (usage.upstream_requests, usage.retries) == (4, 3)
    assert usage.retry_wait_s > 0 and usage.output_tokens == 0

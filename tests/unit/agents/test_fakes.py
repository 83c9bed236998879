"""The fake servers speak the recorded wire formats, as seen by the official clients."""

from __future__ import annotations

import json
import urllib.request

import ollama
import openai
import pytest

from tests.fakes import (
    FakeOllamaServer,
    FakeOpenAIServer,
    ScriptedResponse,
    fixture_json,
    fixture_text,
    minimal_instance,
)
from workers.llm import LLMSettings


def _raw_post(url: str, body: dict) -> tuple[str, bytes]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-x"},
    )
    with urllib.request.urlopen(request) as response:
        return response.headers["Content-Type"], response.read()


def test_openai_fake_answers_like_the_recorded_api() -> None:
    with FakeOpenAIServer() as fake:
        client = openai.OpenAI(api_key="sk-x", base_url=fake.base_url, max_retries=0)
        completion = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "echo me"}]
        )
        embeddings = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
        floats = client.embeddings.create(
            model="text-embedding-3-small", input="a", encoding_format="float"
        )
        models = [m.id for m in client.models.list()]

    assert completion.choices[0].message.content == "echo me"
    recorded = fixture_json("openai/chat_completion.json")
    assert set(completion.model_dump(exclude_unset=True)) == set(recorded)
    assert len(embeddings.data) == 2
    assert embeddings.data[0].embedding == pytest.approx(floats.data[0].embedding, rel=1e-6)
    assert models == [m["id"] for m in fixture_json("openai/models_list.json")["data"]]
    assert fake.requests[1].json["encoding_format"] == "base64"


def test_openai_fake_streams_sse_framed_like_the_recording() -> None:
    with FakeOpenAIServer() as fake:
        content_type, body = _raw_post(
            fake.base_url + "/chat/completions",
            {
                "model": "gpt-4o",
                "stream": True,
                "stream_options": {"include_usage": True},
                "messages": [{"role": "user", "content": "one two"}],
            },
        )
    events = body.decode().split("\n\n")
    recorded = fixture_text("openai/recorded_streams/chat_stream_text_stop.sse").split("\n\n")

    assert content_type == "text/event-stream"
    assert events[-2] == recorded[-2] == "data: [DONE]"
    chunks = [json.loads(e[len("data: ") :]) for e in events[:-2]]
    recorded_chunks = [json.loads(e[len("data: ") :]) for e in recorded[:-2]]
    assert [set(c) for c in chunks] == [set(recorded_chunks[0])] * 4 + [set(recorded_chunks[-1])]
    assert chunks[0]["choices"][0]["delta"] == recorded_chunks[0]["choices"][0]["delta"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0


def test_ollama_fake_answers_like_the_documented_api() -> None:
    with FakeOllamaServer() as fake:
        client = ollama.Client(host=fake.base_url)
        reply = client.chat(model="llama3.2", messages=[{"role": "user", "content": "hi there"}])
        parts = list(
            client.chat(
                model="llama3.2", messages=[{"role": "user", "content": "a b c"}], stream=True
            )
        )
        embedded = client.embed(model="all-minilm", input=["x", "y"])
        tags = [m.model for m in client.list().models]

    assert reply.message.content == "hi there" and reply.done and reply.eval_count
    assert "".join(p.message.content for p in parts) == "a b c"
    assert [p.done for p in parts] == [False, False, False, True]
    assert parts[-1].prompt_eval_count and parts[-1].done_reason == "stop"
    assert len(embedded.embeddings) == 2
    assert tags == [m["model"] for m in fixture_json("ollama/examples/tags.json")["models"]]


def test_ollama_fake_streams_ndjson() -> None:
    with FakeOllamaServer() as fake:
        content_type, body = _raw_post(
            fake.base_url + "/api/chat",
            {"model": "llama3.2", "messages": [{"role": "user", "content": "one two"}]},
        )
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert content_type == "application/x-ndjson"
    assert set(lines[0]) == set(fixture_json("ollama/examples/chat_stream_chunk.json"))
    assert set(fixture_json("ollama/examples/chat_stream_final.json")) <= set(lines[-1])


@pytest.mark.parametrize("fake_class", [FakeOpenAIServer, FakeOllamaServer])
def test_scripted_queue_latency_and_recording(fake_class) -> None:
    with fake_class(latency_s=0.05) as fake:
        fake.enqueue(ScriptedResponse.error(503, {"error": "busy"}, {"retry-after": "1"}))
        fake.enqueue(ScriptedResponse.json_reply({"a": 1}))
        assert fake.pending() == 2
        first = urllib.request.Request(fake.base_url.rstrip("/") + _chat_path(fake), data=b"{}")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(first)
        assert caught.value.code == 503 and caught.value.headers["retry-after"] == "1"
        assert fake.request_count("chat") == 1 and fake.pending() == 1
        fake.reset()
        assert fake.request_count() == 0 and fake.pending() == 0


def test_structured_default_is_a_valid_minimal_instance() -> None:
    schema = {
        "type": "object",
        "$defs": {"F": {"type": "object", "properties": {"c": {"type": "string"}}}},
        "properties": {
            "n": {"type": "integer", "minimum": 1},
            "fs": {"type": "array", "items": {"$ref": "#/$defs/F"}, "minItems": 1},
            "e": {"enum": ["x", "y"]},
        },
        "required": ["n", "fs", "e"],
    }
    assert minimal_instance(schema) == {"n": 1, "fs": [{"c": "x"}], "e": "x"}
    with FakeOpenAIServer() as fake:
        fake.structured_default = {"n": 5}
        client = openai.OpenAI(api_key="sk-x", base_url=fake.base_url, max_retries=0)
        reply = client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "x"}],
            response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema}},
        )
    assert json.loads(reply.choices[0].message.content) == {"n": 5}


def test_settings_repr_hides_a_plain_string_key() -> None:
    assert "sk-plain-123456" not in repr(LLMSettings(openai_api_key="sk-plain-123456"))


def _chat_path(fake) -> str:
    return "/chat/completions" if isinstance(fake, FakeOpenAIServer) else "/api/chat"

"""A protocol-faithful fake of the OpenAI REST API, built from recorded responses.

Routes: ``POST /v1/chat/completions`` (JSON, or SSE when ``"stream": true``; a usage chunk
when ``stream_options.include_usage``), ``POST /v1/embeddings`` (float or base64, as
requested), ``GET /v1/models``. By default a chat reply echoes the last user message; a
request with ``response_format`` ``json_schema`` gets ``structured_default`` (or the
smallest instance of the schema) as its JSON content.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import time
from collections.abc import Iterator
from typing import Any

from .fixtures import fixture_json, sse_events
from .http_base import (
    FakeHTTPServer,
    RecordedRequest,
    Rendered,
    ScriptedResponse,
    approx_tokens,
)
from .schema_stub import minimal_instance

CHAT_TEMPLATE = "openai/chat_completion.json"
STREAM_TEMPLATE = "openai/recorded_streams/chat_stream_text_stop.sse"
SERVER_ERROR_BODY = {
    "error": {
        "message": "The server had an error while processing your request. Sorry about that!",
        "type": "server_error",
        "param": None,
        "code": None,
    }
}
EMBEDDING_DIMENSIONS = 8


def error_fixture(name: str) -> dict[str, Any]:
    """A recorded error body, e.g. ``"429_rate_limit_requests"`` or ``"401_invalid_api_key"``."""
    return fixture_json(f"openai/errors/{name}.json")


def fake_embedding(text: str, dimensions: int = EMBEDDING_DIMENSIONS) -> list[float]:
    """A deterministic unit-ish vector derived from the text."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round((b - 127.5) / 127.5, 6) for b in digest[:dimensions]]


class FakeOpenAIServer(FakeHTTPServer):
    ROUTES = {
        ("POST", "/v1/chat/completions"): "chat",
        ("POST", "/v1/embeddings"): "embeddings",
        ("GET", "/v1/models"): "models",
    }
    BASE_PATH = "/v1"

    def __init__(self, latency_s: float = 0.0, api_key: str | None = None) -> None:
        """With ``api_key`` set, requests without ``Authorization: Bearer <api_key>`` get the
        recorded 401 ``invalid_api_key`` response, as the real API does."""
        super().__init__(latency_s)
        self.api_key = api_key
        self.structured_default: Any = None

    # -- helpers for tests -----------------------------------------------------------------

    @staticmethod
    def rate_limited(retry_after: str | None = "1", kind: str = "requests") -> ScriptedResponse:
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        return ScriptedResponse.error(429, error_fixture(f"429_rate_limit_{kind}"), headers)

    @staticmethod
    def server_error(status: int = 500) -> ScriptedResponse:
        return ScriptedResponse.error(status, SERVER_ERROR_BODY)

    @staticmethod
    def unauthorized(message: str | None = None) -> ScriptedResponse:
        body = error_fixture("401_invalid_api_key")
        if message is not None:
            body["error"]["message"] = message
        return ScriptedResponse.error(401, body)

    # -- rendering -------------------------------------------------------------------------

    def render(
        self, route: str, request: RecordedRequest, scripted: ScriptedResponse | None
    ) -> Rendered:
        expected = f"Bearer {self.api_key}"
        if self.api_key is not None and request.headers.get("authorization") != expected:
            return Rendered(401, body=json.dumps(error_fixture("401_invalid_api_key")).encode())
        if route == "models":
            return Rendered(body=json.dumps(fixture_json("openai/models_list.json")).encode())
        if route == "embeddings":
            return self._embeddings(request.json or {})
        return self._chat(request.json or {}, scripted)

    def _chat(self, body: dict[str, Any], scripted: ScriptedResponse | None) -> Rendered:
        content, usage = self.reply_content(body, scripted)
        model = body.get("model", "gpt-4o")
        headers = dict(scripted.headers) if scripted else {}
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            error = scripted.stream_error if scripted else None
            stream = self._sse(model, content, usage if include_usage else None, error)
            return Rendered(content_type="text/event-stream", stream=stream, headers=headers)
        completion = fixture_json(CHAT_TEMPLATE)
        completion["id"] = _completion_id()
        completion["created"] = int(time.time())
        completion["model"] = model
        completion["choices"][0]["message"]["content"] = content
        completion["usage"].update(
            prompt_tokens=usage[0], completion_tokens=usage[1], total_tokens=sum(usage)
        )
        return Rendered(body=json.dumps(completion).encode(), headers=headers)

    def _default_content(self, body: dict[str, Any]) -> str:
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            if self.structured_default is not None:
                return json.dumps(self.structured_default)
            return json.dumps(minimal_instance(response_format["json_schema"]["schema"]))
        if response_format.get("type") == "json_object":
            return json.dumps(self.structured_default or {})
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        return str(users[-1].get("content")) if users else ""

    def _sse(
        self,
        model: str,
        content: str,
        usage: tuple[int, int] | None,
        error: str | None,
    ) -> Iterator[bytes]:
        events = sse_events(STREAM_TEMPLATE)
        role_chunk, delta_chunk = events[0], events[1]
        stop_chunk = next(e for e in events if e["choices"] and e["choices"][0]["finish_reason"])
        usage_chunk = next(e for e in events if not e["choices"])
        stream_id, created = _completion_id(), int(time.time())
        for chunk in (role_chunk, delta_chunk, stop_chunk, usage_chunk):
            chunk.update(id=stream_id, created=created, model=model)

        def event(payload: Any) -> bytes:
            return f"data: {json.dumps(payload)}\n\n".encode()

        yield event(role_chunk)
        for piece in re.findall(r"\s*\S+|\s+$", content):
            chunk = json.loads(json.dumps(delta_chunk))
            chunk["choices"][0]["delta"] = {"content": piece}
            yield event(chunk)
        if error is not None:
            body = {"message": error, "type": "server_error", "param": None, "code": None}
            yield event({"error": body})
            return
        yield event(stop_chunk)
        if usage is not None:
            usage_chunk["usage"] = {
                "prompt_tokens": usage[0],
                "completion_tokens": usage[1],
                "total_tokens": sum(usage),
                "completion_tokens_details": {"reasoning_tokens": 0},
            }
            yield event(usage_chunk)
        yield b"data: [DONE]\n\n"

    def _embeddings(self, body: dict[str, Any]) -> Rendered:
        inputs = body.get("input", "")
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        as_base64 = body.get("encoding_format") == "base64"
        response = fixture_json("openai/embeddings.json")
        template = response["data"][0]
        response["data"] = []
        for index, text in enumerate(inputs):
            vector = fake_embedding(str(text))
            item = dict(template, index=index)
            item["embedding"] = (
                base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
                if as_base64
                else vector
            )
            response["data"].append(item)
        response["model"] = body.get("model", response["model"])
        tokens = sum(approx_tokens(str(t)) for t in inputs)
        response["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
        return Rendered(body=json.dumps(response).encode())


def _completion_id() -> str:
    return "chatcmpl-" + hashlib.sha1(str(time.perf_counter_ns()).encode()).hexdigest()[:24]

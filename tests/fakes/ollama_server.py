"""A protocol-faithful fake of the Ollama REST API, built from the documented examples.

Routes: ``POST /api/chat`` (one JSON object with ``"stream": false``, otherwise NDJSON
chunks ending in a ``done: true`` line with the eval counts), ``POST /api/embed``,
``GET /api/tags``. By default a chat reply echoes the last user message; a request whose
``format`` is a JSON schema gets ``structured_default`` (or the schema's smallest instance).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from .fixtures import fixture_json
from .http_base import FakeHTTPServer, RecordedRequest, Rendered, ScriptedResponse
from .openai_server import approx_tokens, fake_embedding
from .schema_stub import minimal_instance

NDJSON = "application/x-ndjson"


def error_body(message: str) -> dict[str, str]:
    """Ollama's error envelope: ``{"error": "<message>"}``."""
    return {"error": message}


class FakeOllamaServer(FakeHTTPServer):
    ROUTES = {
        ("POST", "/api/chat"): "chat",
        ("POST", "/api/embed"): "embed",
        ("GET", "/api/tags"): "tags",
    }

    def __init__(self, latency_s: float = 0.0) -> None:
        super().__init__(latency_s)
        self.structured_default: Any = None

    # -- helpers for tests -----------------------------------------------------------------

    @staticmethod
    def rate_limited(retry_after: str | None = "1") -> ScriptedResponse:
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        return ScriptedResponse.error(429, error_body("too many requests"), headers)

    @staticmethod
    def server_error(status: int = 500) -> ScriptedResponse:
        body = fixture_json("ollama/examples/error_generic_500.json")
        return ScriptedResponse.error(status, body)

    @staticmethod
    def model_not_found(model: str) -> ScriptedResponse:
        return ScriptedResponse.error(404, error_body(f"model '{model}' not found"))

    # -- rendering -------------------------------------------------------------------------

    def render(
        self, route: str, request: RecordedRequest, scripted: ScriptedResponse | None
    ) -> Rendered:
        if route == "tags":
            return Rendered(body=json.dumps(fixture_json("ollama/examples/tags.json")).encode())
        if route == "embed":
            return self._embed(request.json or {})
        return self._chat(request.json or {}, scripted)

    def _chat(self, body: dict[str, Any], scripted: ScriptedResponse | None) -> Rendered:
        if not body.get("model"):
            return Rendered(400, body=json.dumps(error_body("model is required")).encode())
        content, usage = self.reply_content(body, scripted)
        headers = dict(scripted.headers) if scripted else {}
        model = body["model"]
        if body.get("stream", True):
            error = scripted.stream_error if scripted else None
            stream = self._ndjson(model, content, usage, error)
            return Rendered(content_type=NDJSON, stream=stream, headers=headers)
        reply = fixture_json("ollama/examples/chat_nonstream.json")
        reply.update(model=model, created_at=_now(), done_reason="stop")
        reply["message"]["content"] = content
        reply.update(prompt_eval_count=usage[0], eval_count=usage[1])
        return Rendered(body=json.dumps(reply).encode(), headers=headers)

    def _default_content(self, body: dict[str, Any]) -> str:
        schema = body.get("format")
        if isinstance(schema, dict):
            if self.structured_default is not None:
                return json.dumps(self.structured_default)
            return json.dumps(minimal_instance(schema))
        if schema == "json":
            return json.dumps(self.structured_default or {})
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        return str(users[-1].get("content")) if users else ""

    def _ndjson(
        self, model: str, content: str, usage: tuple[int, int], error: str | None
    ) -> Iterator[bytes]:
        template = fixture_json("ollama/examples/chat_stream_chunk.json")
        for piece in re.findall(r"\s*\S+|\s+$", content):
            chunk = json.loads(json.dumps(template))
            chunk.update(model=model, created_at=_now())
            chunk["message"]["content"] = piece
            yield (json.dumps(chunk) + "\n").encode()
        if error is not None:
            yield (json.dumps(error_body(error)) + "\n").encode()
            return
        final = fixture_json("ollama/examples/chat_stream_final.json")
        final.update(model=model, created_at=_now(), done_reason="stop")
        final.update(prompt_eval_count=usage[0], eval_count=usage[1])
        yield (json.dumps(final) + "\n").encode()

    def _embed(self, body: dict[str, Any]) -> Rendered:
        inputs = body.get("input", "")
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        response = fixture_json("ollama/examples/embed_single.json")
        response["model"] = body.get("model", response["model"])
        response["embeddings"] = [fake_embedding(str(text), 10) for text in inputs]
        response["prompt_eval_count"] = sum(approx_tokens(str(t)) for t in inputs)
        return Rendered(body=json.dumps(response).encode())


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")

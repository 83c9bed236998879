"""Ollama and OpenAI embedders, driven through their official clients against a local
server that replays the recorded wire formats."""

from __future__ import annotations

import base64
import socket
import struct

import numpy as np
import pytest

from app.workflows.knowledge.embeddings.ollama_embedder import OllamaEmbedder
from app.workflows.knowledge.embeddings.openai_embedder import OpenAIEmbedder
from app.workflows.knowledge.errors import PermanentError, TransientError

from .conftest import load_json, shared_fixture
from .http_replay import RecordedRequest, ReplayServer, Reply

OLLAMA = ("llm", "ollama", "examples")
OPENAI = ("llm", "openai")


def ollama_vectors() -> list[list[float]]:
    return load_json(shared_fixture(*OLLAMA, "embed_multi.json"))["embeddings"]


def ollama_embed_responder(request: RecordedRequest) -> Reply:
    """Answers /api/embed like Ollama, cycling through the recorded vectors."""
    assert request.method == "POST" and request.path == "/api/embed"
    recorded = load_json(shared_fixture(*OLLAMA, "embed_multi.json"))
    inputs = request.body["input"]
    inputs = [inputs] if isinstance(inputs, str) else inputs
    vectors = recorded["embeddings"]
    body = {**recorded, "model": request.body["model"],
            "embeddings": [vectors[i % len(vectors)] for i in range(len(inputs))]}
    return Reply(200, body)


def openai_embeddings_responder(request: RecordedRequest) -> Reply:
    """Answers /embeddings like OpenAI, honouring the requested encoding_format."""
    assert request.method == "POST" and request.path == "/v1/embeddings"
    wants_base64 = request.body.get("encoding_format") == "base64"
    name = "embeddings_base64.json" if wants_base64 else "embeddings.json"
    recorded = load_json(shared_fixture(*OPENAI, name))
    item = recorded["data"][0]
    data = [{**item, "index": i} for i in range(len(request.body["input"]))]
    return Reply(200, {**recorded, "model": request.body["model"], "data": list(reversed(data))})


def error_responder(status: int, *fixture: str):
    body = load_json(shared_fixture(*fixture))
    return lambda request: Reply(status, body)


def test_ollama_embeds_batches_through_the_client() -> None:
    with ReplayServer(ollama_embed_responder) as server:
        embedder = OllamaEmbedder(model="all-minilm", host=server.url, batch_size=2)
        vectors = embedder.embed(["first", "second", "third"])

    expected = ollama_vectors()
    np.testing.assert_allclose(vectors, [expected[0], expected[1], expected[0]], rtol=1e-6)
    assert vectors.dtype == np.float32
    assert [r.body for r in server.requests] == [
        {"model": "all-minilm", "input": ["first", "second"]},
        {"model": "all-minilm", "input": ["third"]},
    ]
    assert embedder.dimension == 10


def test_ollama_probes_dimension_when_not_given() -> None:
    with ReplayServer(ollama_embed_responder) as server:
        embedder = OllamaEmbedder(model="all-minilm", host=server.url)
        assert embedder.dimension == 10
    assert len(server.requests) == 1


def test_ollama_rejects_vectors_of_unexpected_size() -> None:
    with ReplayServer(ollama_embed_responder) as server:
        embedder = OllamaEmbedder(model="all-minilm", host=server.url, dimension=384)
        with pytest.raises(PermanentError) as caught:
            embedder.embed(["text"])
    assert caught.value.reason == "dimension_mismatch"
    assert "10-dimensional" in str(caught.value)


def test_ollama_unknown_model_is_permanent() -> None:
    responder = error_responder(404, *OLLAMA, "error_model_not_found_404.json")
    with ReplayServer(responder) as server:
        with pytest.raises(PermanentError) as caught:
            OllamaEmbedder(model="llama3.2", host=server.url).embed(["x"])
    assert caught.value.reason == "embedding_model_not_found"
    assert "model 'llama3.2' not found" in str(caught.value)


def test_ollama_server_error_is_transient() -> None:
    responder = error_responder(500, *OLLAMA, "error_generic_500.json")
    with ReplayServer(responder) as server:
        with pytest.raises(TransientError) as caught:
            OllamaEmbedder(model="all-minilm", host=server.url).embed(["x"])
    assert caught.value.reason == "embedder_unavailable"


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_ollama_unreachable_is_transient() -> None:
    with pytest.raises(TransientError) as caught:
        OllamaEmbedder(model="all-minilm", host=closed_port_url(), timeout=2).embed(["x"])
    assert caught.value.reason == "embedder_unreachable"


def expected_openai_vector() -> np.ndarray:
    encoded = load_json(shared_fixture(*OPENAI, "embeddings_base64.json"))["data"][0]
    return np.array(struct.unpack("<3f", base64.b64decode(encoded["embedding"])))


def test_openai_decodes_default_base64_embeddings_in_input_order() -> None:
    with ReplayServer(openai_embeddings_responder) as server:
        embedder = OpenAIEmbedder(model="text-embedding-ada-002", api_key="sk-test",
                                  base_url=f"{server.url}/v1", max_retries=0)
        vectors = embedder.embed(["a", "b"])

    np.testing.assert_allclose(vectors, [expected_openai_vector()] * 2, rtol=1e-6)
    floats = load_json(shared_fixture(*OPENAI, "embeddings.json"))["data"][0]["embedding"]
    np.testing.assert_allclose(vectors[0], floats, rtol=1e-6)
    (request,) = server.requests
    assert request.body["encoding_format"] == "base64"
    assert request.body["input"] == ["a", "b"]
    assert request.headers["Authorization"] == "Bearer sk-test"
    assert embedder.dimension == 3


@pytest.mark.parametrize(
    ("status", "fixture", "error", "reason"),
    [
        (429, "429_rate_limit_requests.json", TransientError, "embedder_unavailable"),
        (429, "429_insufficient_quota.json", PermanentError, "embedder_quota_exhausted"),
        (401, "401_invalid_api_key.json", PermanentError, "embedder_auth_failed"),
        (404, "404_model_not_found.json", PermanentError, "embedding_model_not_found"),
    ],
)
def test_openai_errors_are_classified(status, fixture, error, reason) -> None:
    responder = error_responder(status, *OPENAI, "errors", fixture)
    with ReplayServer(responder) as server:
        embedder = OpenAIEmbedder(model="text-embedding-3-small", api_key="sk-test",
                                  base_url=f"{server.url}/v1", max_retries=0)
        with pytest.raises(error) as caught:
            embedder.embed(["x"])
    assert caught.value.reason == reason
    assert len(server.requests) == 1

"""Fixtures for the LLM layer: Redis with a per-test key prefix, fake providers, clients."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.fakes import FakeHTTPServer, FakeOllamaServer, FakeOpenAIServer, ScriptedResponse
from workers.llm import (
    LLMClient,
    OllamaBackend,
    OpenAIBackend,
    PriceTable,
    RetryPolicy,
)
from workers.llm.backends.base import ChatBackend
from workers.strategic_analysis.engine.schemas import PERSPECTIVE

TEST_API_KEY = "sk-test-" + "a1b2c3d4e5f6"
FAST_RETRIES = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05)


DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/0"


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


@pytest.fixture(scope="session")
def llm_redis_url(request: pytest.FixtureRequest) -> str:
    """``DIA3_TEST_REDIS_URL`` (default database 0) when it answers, else the test session's
    own Redis (the project-wide ``redis_url`` fixture starts an embedded one)."""
    url = os.environ.get("DIA3_TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)
    return url if _answers(url) else request.getfixturevalue("redis_url")


@pytest.fixture
def redis_client(llm_redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(llm_redis_url)
    yield client
    client.close()


@pytest.fixture
def dead_redis() -> redis.Redis:
    """A client for a port nothing listens on, failing fast (no retries)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return redis.Redis(port=port, retry=Retry(NoBackoff(), 0), socket_connect_timeout=0.5)


@pytest.fixture
def key_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A unique Redis key prefix; every key under it is deleted after the test."""
    prefix = f"test:llm:{uuid.uuid4().hex}"
    yield prefix
    keys = list(redis_client.scan_iter(f"{prefix}:*"))
    if keys:
        redis_client.delete(*keys)


@dataclass
class Provider:
    """One remote provider under test: its fake server and how to talk to it."""

    name: str
    server: FakeHTTPServer
    make_backend: Callable[..., ChatBackend]
    rate_limited: Callable[..., ScriptedResponse]
    server_error: Callable[..., ScriptedResponse]
    unauthorized: Callable[[], ScriptedResponse]
    model: str

    def client(self, **kwargs: Any) -> LLMClient:
        backend_kwargs = kwargs.pop("backend_kwargs", {})
        kwargs.setdefault("retry_policy", FAST_RETRIES)
        kwargs.setdefault("default_model", self.model)
        kwargs.setdefault("prices", PriceTable({self.model: (2.5, 10.0)}))
        return LLMClient(self.make_backend(**backend_kwargs), **kwargs)


def _openai(server: FakeOpenAIServer) -> Provider:
    def make_backend(**kwargs: Any) -> OpenAIBackend:
        kwargs.setdefault("api_key", TEST_API_KEY)
        kwargs.setdefault("timeout_s", 5.0)
        return OpenAIBackend(base_url=server.base_url, **kwargs)

    return Provider(
        name="openai",
        server=server,
        make_backend=make_backend,
        rate_limited=FakeOpenAIServer.rate_limited,
        server_error=FakeOpenAIServer.server_error,
        unauthorized=FakeOpenAIServer.unauthorized,
        model="gpt-4o",
    )


def _ollama(server: FakeOllamaServer) -> Provider:
    def make_backend(**kwargs: Any) -> OllamaBackend:
        kwargs.setdefault("timeout_s", 5.0)
        return OllamaBackend(host=server.base_url, **kwargs)

    return Provider(
        name="ollama",
        server=server,
        make_backend=make_backend,
        rate_limited=FakeOllamaServer.rate_limited,
        server_error=FakeOllamaServer.server_error,
        unauthorized=lambda: ScriptedResponse.error(401, {"error": "unauthorized"}),
        model="llama3.2",
    )


@pytest.fixture(params=["openai", "ollama"])
def provider(request: pytest.FixtureRequest) -> Iterator[Provider]:
    if request.param == "openai":
        with FakeOpenAIServer(api_key=TEST_API_KEY) as server:
            yield _openai(server)
    else:
        with FakeOllamaServer() as server:
            yield _ollama(server)


@pytest.fixture
def openai_provider() -> Iterator[Provider]:
    with FakeOpenAIServer(api_key=TEST_API_KEY) as server:
        yield _openai(server)


@pytest.fixture
def ollama_provider() -> Iterator[Provider]:
    with FakeOllamaServer() as server:
        yield _ollama(server)


# The platform's perspective-analysis schema, and a final-report schema shaped like its report.
PERSPECTIVE_SCHEMA = PERSPECTIVE

FINAL_REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "$defs": {
        "Risk": {
            "type": "object",
            "properties": {
                "risk": {"type": "string"},
                "likelihood": {"type": "string", "enum": ["low", "medium", "high"]},
                "impact": {"type": "integer", "minimum": 1, "maximum": 5},
                "evidence_ids": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["risk", "likelihood", "impact"],
        },
        "Recommendation": {
            "type": "object",
            "properties": {
                "action": {"type": "string"},
                "priority": {"type": "string", "enum": ["high", "medium", "low"]},
            },
            "required": ["action", "priority"],
        },
    },
    "properties": {
        "executive_summary": {"type": "string", "maxLength": 600},
        "swot": {
            "type": "object",
            "properties": {
                name: {"type": "array", "items": {"type": "string"}, "minItems": 1}
                for name in ("strengths", "weaknesses", "opportunities", "threats")
            },
            "required": ["strengths", "weaknesses", "opportunities", "threats"],
            "additionalProperties": False,
        },
        "key_risks": {"type": "array", "items": {"$ref": "#/$defs/Risk"}, "minItems": 1},
        "recommendations": {"type": "array", "items": {"$ref": "#/$defs/Recommendation"}},
        "overall_confidence": {
            "anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, {"type": "null"}]
        },
        "citations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "quote": {"type": "string"}},
                "required": ["id", "quote"],
            },
        },
    },
    "required": [
        "executive_summary",
        "swot",
        "key_risks",
        "recommendations",
        "overall_confidence",
        "citations",
    ],
    "additionalProperties": False,
}

EVIDENCE = [
    {
        "id": "news-1",
        "text": "Acme Corp reported record revenue in Q3, driven by strong demand in Europe. "
        "However, the Bank of England warned that rising interest rates may slow growth.",
    },
    {
        "id": "news-2",
        "text": "Regulatory scrutiny from the EU is increasing, and competition from Globex Inc. "
        "threatens margins. Analysts say Acme should diversify its supplier base.",
    },
    {
        "id": "filing-3",
        "text": "Acme Corp's CEO Jane Smith said the company will expand into Asia next year. "
        "A data breach last year caused significant losses and lawsuits.",
    },
]

MESSAGES = [
    {"role": "system", "content": "You are a strategy analyst."},
    {"role": "user", "content": "Assess Acme's strategic position and its main risks."},
]

VALID_PERSPECTIVE = {
    "summary": "Acme grows but faces regulatory risk.",
    "findings": [{"claim": "Revenue hit a record.", "evidence_ids": ["news-1"]}],
    "risks": ["EU scrutiny"],
    "opportunities": ["Asia expansion"],
    "confidence": 0.7,
}

"""API keys never show up in logs, exception messages, reprs or exception chains."""

from __future__ import annotations

import logging
import pickle
import traceback

import pytest

from tests.fakes import FakeOpenAIServer, ScriptedResponse
from workers.llm import (
    LLMClient,
    LLMError,
    LLMPermanentError,
    LLMSettings,
    OpenAIBackend,
    RetryPolicy,
    Secret,
    build_llm_client,
    load_secret,
)

PLANTED_KEY = "sk-proj-PLANTED0123456789abcdefSECRET"
MESSAGES = [{"role": "user", "content": "hello"}]


def _everything_said_about(error: BaseException) -> str:
    """Message, repr, formatted traceback and the whole cause/context chain."""
    parts = []
    seen: BaseException | None = error
    while seen is not None:
        parts += [str(seen), repr(seen), *map(str, seen.args)]
        seen = seen.__cause__ or seen.__context__
    parts += traceback.format_exception(error)
    return "\n".join(parts)


@pytest.fixture
def capture_all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.mark.parametrize(
    "scripted",
    [
        # A proxy that echoes the key it was given, in a 401, a 400 and a 500.
        FakeOpenAIServer.unauthorized(f"Incorrect API key provided: {PLANTED_KEY}."),
        ScriptedResponse.error(400, {"error": {"message": f"bad key {PLANTED_KEY}"}}),
        ScriptedResponse.error(500, f"upstream said: Bearer {PLANTED_KEY}"),
    ],
    ids=["401", "400", "500"],
)
def test_planted_key_never_leaks(
    scripted: ScriptedResponse, capture_all_logs: pytest.LogCaptureFixture
) -> None:
    with FakeOpenAIServer() as server:
        server.enqueue(scripted, scripted)
        settings = LLMSettings(
            backend="openai",
            openai_api_key=Secret(PLANTED_KEY),
            openai_base_url=server.base_url,
            default_model="gpt-4o",
            max_attempts=2,
            backoff_base_s=0.01,
        )
        client = build_llm_client(settings)
        with pytest.raises(LLMError) as caught:
            client.chat(MESSAGES)
        client.close()

        # The key really was sent (so it was there to leak) ...
        assert server.requests[0].headers["authorization"] == f"Bearer {PLANTED_KEY}"
    # ... and appears nowhere we produce.
    said = _everything_said_about(caught.value)
    assert PLANTED_KEY not in said
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    assert PLANTED_KEY not in capture_all_logs.text
    assert PLANTED_KEY not in repr(settings) + repr(client) + repr(client.backend)
    assert "***" in said or caught.value.status_code == 500


def test_auth_failure_message_is_clear(capture_all_logs: pytest.LogCaptureFixture) -> None:
    with FakeOpenAIServer(api_key="sk-the-right-one-123456") as server:
        backend = OpenAIBackend(api_key=PLANTED_KEY, base_url=server.base_url)
        client = LLMClient(backend, default_model="gpt-4o", retry_policy=RetryPolicy())
        with pytest.raises(LLMPermanentError, match="rejected the credentials") as caught:
            client.chat(MESSAGES)
        assert server.request_count("chat") == 1
    assert PLANTED_KEY not in _everything_said_about(caught.value) + capture_all_logs.text


def test_key_from_a_mounted_secret_file(tmp_path) -> None:
    key_file = tmp_path / "openai_api_key"
    key_file.write_text(PLANTED_KEY + "\n")
    with FakeOpenAIServer(api_key=PLANTED_KEY) as server:
        settings = LLMSettings(
            backend="openai",
            openai_api_key_file=str(key_file),
            openai_base_url=server.base_url,
            default_model="gpt-4o",
        )
        assert build_llm_client(settings).chat(MESSAGES).text == "hello"


def test_unreadable_or_missing_key_is_a_clear_permanent_error(tmp_path) -> None:
    with pytest.raises(LLMPermanentError, match="cannot read API key file"):
        load_secret(file_path=tmp_path / "missing")
    with pytest.raises(LLMPermanentError, match="no OpenAI API key"):
        OpenAIBackend(base_url="http://127.0.0.1:9")


def test_secret_hides_itself() -> None:
    secret = Secret(PLANTED_KEY)
    shown = f"{secret} {secret!r} {secret:>10} {[secret]} {str(secret)}"
    assert PLANTED_KEY not in shown
    assert secret.reveal() == PLANTED_KEY
    with pytest.raises(TypeError):
        pickle.dumps(secret)

"""OpenAI (and OpenAI-compatible) chat completions through the official ``openai`` client.

The SDK's own retries are off (``max_retries=0``): the shared client retries, so that
rate-limit waits, backoff and metrics behave the same for every backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai

from workers.llm.backends.base import BackendReply, StreamPiece
from workers.llm.errors import LLMError, LLMOutputError, LLMPermanentError, LLMTransientError
from workers.llm.messages import LLMRequest
from workers.llm.prompting import provider_messages
from workers.llm.retry import parse_duration, parse_retry_after
from workers.llm.secrets import Secret, load_secret, redact
from workers.llm.tokens import estimate_message_tokens, estimate_text_tokens

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_TRANSIENT_STATUSES = {408, 409, 429}


class OpenAIBackend:
    name = "openai"
    method = "llm"
    remote = True

    def __init__(
        self,
        *,
        api_key: str | Secret | None = None,
        api_key_file: str | Path | None = None,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        strict_schema: bool = False,
        max_tokens_param: str = "max_completion_tokens",
    ) -> None:
        """``strict_schema`` turns on OpenAI strict mode, which needs every property required
        and ``additionalProperties: false``; ``max_tokens_param`` may be ``"max_tokens"`` for
        OpenAI-compatible servers that predate ``max_completion_tokens``."""
        secret = api_key if isinstance(api_key, Secret) else load_secret(api_key, api_key_file)
        if not secret:
            raise LLMPermanentError("no OpenAI API key configured", backend=self.name)
        self._secret = secret
        self._strict_schema = strict_schema
        self._max_tokens_param = max_tokens_param
        self._client = openai.OpenAI(
            api_key=secret.reveal(),
            base_url=base_url or DEFAULT_BASE_URL,
            max_retries=0,
            timeout=timeout_s,
        )

    def __repr__(self) -> str:
        return f"OpenAIBackend(base_url={str(self._client.base_url)!r})"

    def generate(self, request: LLMRequest) -> BackendReply:
        completion = self._sdk_call(self._client.chat.completions.create, **self._params(request))
        if not completion.choices:
            raise LLMTransientError("openai returned no choices", backend=self.name)
        message = completion.choices[0].message
        if message.refusal:
            raise LLMOutputError(f"model refused: {message.refusal}", backend=self.name)
        text = message.content or ""
        if completion.usage is None:
            return self._estimated_reply(request, text)
        return BackendReply(
            text=text,
            input_tokens=completion.usage.prompt_tokens,
            output_tokens=completion.usage.completion_tokens,
        )

    def stream(self, request: LLMRequest) -> Iterator[StreamPiece]:
        chunks = self._sdk_call(
            self._client.chat.completions.create,
            **self._params(request),
            stream=True,
            stream_options={"include_usage": True},
        )
        return self._pieces(request, chunks)

    def close(self) -> None:
        self._client.close()

    def _sdk_call(self, function, *args, **kwargs):
        """Call the SDK; its errors become ours, raised outside the ``except`` block so the
        SDK exception (whose text may quote credentials) is not chained as context."""
        try:
            return function(*args, **kwargs)
        except openai.OpenAIError as exc:
            error = self._translate(exc)
        raise error

    def _pieces(self, request: LLMRequest, chunks) -> Iterator[StreamPiece]:
        parts: list[str] = []
        usage = None
        with chunks:
            iterator = iter(chunks)
            while (chunk := self._sdk_call(next, iterator, None)) is not None:
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        yield StreamPiece(choice.delta.content)
        text = "".join(parts)
        if usage is None:
            final = self._estimated_reply(request, text)
        else:
            final = BackendReply(text, usage.prompt_tokens, usage.completion_tokens)
        yield StreamPiece("", final=final)

    def _params(self, request: LLMRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model,
            "messages": provider_messages(request),
        }
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if request.seed is not None:
            params["seed"] = request.seed
        if request.max_output_tokens is not None:
            params[self._max_tokens_param] = request.max_output_tokens
        if request.json_schema is not None:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": _schema_name(request.schema_name),
                    "schema": dict(request.json_schema),
                    "strict": self._strict_schema,
                },
            }
        if request.options:
            params["extra_body"] = dict(request.options)
        return params

    def _estimated_reply(self, request: LLMRequest, text: str) -> BackendReply:
        return BackendReply(
            text=text,
            input_tokens=estimate_message_tokens(request.messages),
            output_tokens=estimate_text_tokens(text),
            tokens_estimated=True,
        )

    def _translate(self, exc: openai.OpenAIError) -> LLMError:
        if isinstance(exc, openai.APITimeoutError):
            return LLMTransientError("openai request timed out", backend=self.name)
        if isinstance(exc, openai.APIConnectionError):
            return LLMTransientError("could not connect to openai", backend=self.name)
        if isinstance(exc, openai.APIStatusError):
            return self._translate_status(exc)
        if isinstance(exc, openai.APIResponseValidationError):
            return LLMTransientError("openai returned an unexpected response", backend=self.name)
        detail = redact(str(exc), self._secret)
        if isinstance(exc, openai.APIError):
            # Errors sent inside an otherwise successful (e.g. streamed) response.
            return LLMTransientError(f"openai error: {detail}", backend=self.name)
        return LLMPermanentError(f"openai client error: {detail}", backend=self.name)

    def _translate_status(self, exc: openai.APIStatusError) -> LLMError:
        status = exc.status_code
        detail = redact(_provider_message(exc), self._secret)
        message = f"openai returned HTTP {status}: {detail}"
        if status in (401, 403):
            return LLMPermanentError(
                f"openai rejected the credentials (HTTP {status}): {detail}",
                backend=self.name,
                status_code=status,
            )
        if status == 429 and exc.code == "insufficient_quota":
            # Quota exhaustion is billing, not load: waiting does not help.
            return LLMPermanentError(message, backend=self.name, status_code=status)
        if status in _TRANSIENT_STATUSES or status >= 500:
            return LLMTransientError(
                message,
                backend=self.name,
                status_code=status,
                retry_after=_retry_after(exc),
            )
        return LLMPermanentError(message, backend=self.name, status_code=status)


def _retry_after(exc: openai.APIStatusError) -> float | None:
    """The server's ``Retry-After``; for a 429 without one, the reset time of the exhausted
    limit (the error ``type`` says which: ``requests`` or ``tokens``)."""
    headers = exc.response.headers
    hinted = parse_retry_after(headers)
    if hinted is None and exc.status_code == 429 and exc.type in ("requests", "tokens"):
        hinted = parse_duration(headers.get(f"x-ratelimit-reset-{exc.type}"))
    return hinted


def _provider_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return exc.message


def _schema_name(name: str) -> str:
    """OpenAI allows ``[a-zA-Z0-9_-]{1,64}`` as a response-format name."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)[:64] or "response"

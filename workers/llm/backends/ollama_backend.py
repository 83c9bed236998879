"""Local or remote Ollama through the official ``ollama`` client.

``ollama.ResponseError`` keeps only the status and the error text, so an httpx response
hook remembers the last response headers per thread; that is where ``Retry-After`` is read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import ollama
import pydantic

from workers.llm.backends.base import BackendReply, StreamPiece
from workers.llm.errors import LLMError, LLMPermanentError, LLMTransientError
from workers.llm.messages import LLMRequest
from workers.llm.prompting import provider_messages
from workers.llm.retry import parse_retry_after
from workers.llm.secrets import redact
from workers.llm.tokens import estimate_request_tokens, estimate_text_tokens

DEFAULT_HOST = "http://127.0.0.1:11434"
_TRANSIENT_STATUSES = {408, 429}


class OllamaBackend:
    name = "ollama"
    method = "llm"
    remote = True

    def __init__(
        self,
        *,
        host: str | None = None,
        timeout_s: float = 120.0,
        keep_alive: str | float | None = None,
    ) -> None:
        self._host = host or DEFAULT_HOST
        self._keep_alive = keep_alive
        self._last_response = threading.local()
        self._client = ollama.Client(
            host=self._host,
            timeout=timeout_s,
            event_hooks={"response": [self._remember_response]},
        )

    def __repr__(self) -> str:
        return f"OllamaBackend(host={self._host!r})"

    def generate(self, request: LLMRequest) -> BackendReply:
        response = self._client_call(self._client.chat, **self._params(request), stream=False)
        return self._reply(request, response.message.content or "", response)

    def stream(self, request: LLMRequest) -> Iterator[StreamPiece]:
        parts = self._client.chat(**self._params(request), stream=True)
        # The request is sent on the first ``next``: do it now so HTTP errors surface here,
        # before any text, where the caller can still retry.
        first = self._client_call(next, parts, None)
        return self._pieces(request, first, parts)

    def close(self) -> None:
        self._client.close()

    def _client_call(self, function, *args, **kwargs):
        """Call the client; its errors become ours, raised outside the ``except`` block so
        the original exception is not chained as context."""
        try:
            return function(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure is translated
            error = self._translate(exc)
        raise error

    def _pieces(self, request: LLMRequest, first, parts) -> Iterator[StreamPiece]:
        texts: list[str] = []
        part = last = first
        while part is not None:
            last = part
            if part.message.content:
                texts.append(part.message.content)
                yield StreamPiece(part.message.content)
            part = self._client_call(next, parts, None)
        yield StreamPiece("", final=self._reply(request, "".join(texts), last))

    def _params(self, request: LLMRequest) -> dict[str, Any]:
        options: dict[str, Any] = dict(request.options)
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.seed is not None:
            options["seed"] = request.seed
        if request.max_output_tokens is not None:
            options["num_predict"] = request.max_output_tokens
        params: dict[str, Any] = {
            "model": request.model,
            "messages": provider_messages(request),
            "options": options or None,
            "keep_alive": self._keep_alive,
        }
        if request.json_schema is not None:
            params["format"] = dict(request.json_schema)
        return params

    def _reply(self, request: LLMRequest, text: str, response) -> BackendReply:
        input_tokens = getattr(response, "prompt_eval_count", None)
        output_tokens = getattr(response, "eval_count", None)
        estimated = input_tokens is None or output_tokens is None
        if input_tokens is None:
            input_tokens = estimate_request_tokens(request)  # evidence and schema too
        if output_tokens is None:
            output_tokens = estimate_text_tokens(text)
        return BackendReply(text, input_tokens, output_tokens, tokens_estimated=estimated)

    def _remember_response(self, response: httpx.Response) -> None:
        self._last_response.status = response.status_code
        self._last_response.headers = dict(response.headers)

    def _retry_after_for(self, status: int) -> float | None:
        if getattr(self._last_response, "status", None) != status:
            return None
        return parse_retry_after(self._last_response.headers)

    def _translate(self, exc: Exception) -> LLMError:
        if isinstance(exc, ollama.ResponseError):
            return self._translate_status(exc)
        if isinstance(exc, httpx.TimeoutException):
            return LLMTransientError("ollama request timed out", backend=self.name)
        if isinstance(exc, (ConnectionError, httpx.TransportError)):
            return LLMTransientError(f"could not reach ollama at {self._host}", backend=self.name)
        if isinstance(exc, (pydantic.ValidationError, ValueError)):
            return LLMTransientError("ollama returned an unexpected response", backend=self.name)
        if isinstance(exc, ollama.RequestError):
            return LLMPermanentError(f"invalid ollama request: {exc.error}", backend=self.name)
        return LLMPermanentError(
            f"ollama client error: {type(exc).__name__}: {redact(str(exc))}", backend=self.name
        )

    def _translate_status(self, exc: ollama.ResponseError) -> LLMError:
        status = exc.status_code
        detail = redact(str(exc.error))
        if status == -1:
            # An error line inside a 200 stream: the model failed mid-generation.
            return LLMTransientError(f"ollama stream failed: {detail}", backend=self.name)
        message = f"ollama returned HTTP {status}: {detail}"
        if status in _TRANSIENT_STATUSES or status >= 500:
            return LLMTransientError(
                message,
                backend=self.name,
                status_code=status,
                retry_after=self._retry_after_for(status),
            )
        return LLMPermanentError(message, backend=self.name, status_code=status)

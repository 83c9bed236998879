"""OpenAI (and OpenAI-compatible) chat completions through the official ``openai`` client.

The SDK's own retries are off (``max_retries=0``): the shared client retries, so that
rate-limit waits, backoff and metrics behave the same for every backend.

OpenAI-compatible servers differ in how they take a JSON schema: OpenAI wants
``response_format: {"type": "json_schema", "json_schema": {...}}``; llama.cpp's Python server
answers that with a 500 and enforces ``{"type": "json_object", "schema": {...}}`` with a
grammar (LM Studio and others take one or the other). ``structured_output="auto"`` sends
``json_schema`` first and, when the server refuses it (a 4xx/5xx other than auth and rate
limits) and accepts ``json_object``, uses ``json_object`` from then on; a server that answers
``json_schema`` keeps it. Either finding is kept for the process and, with a
:class:`~workers.llm.structured_mode.ModeMemory`, shared with every other process by the
server's URL: they ask the right way from their first request.

Requests are fitted into the model's context window (given, or read once from the server;
:mod:`..context_window`): evidence is trimmed by token budget and the output allowance is
what is left (:mod:`..context`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai

from workers.llm import metrics
from workers.llm.backends.base import BackendReply, StreamPiece
from workers.llm.context import fit_request
from workers.llm.context_window import discover_window
from workers.llm.errors import LLMError, LLMOutputError, LLMPermanentError, LLMTransientError
from workers.llm.grammar_schema import grammar_friendly
from workers.llm.messages import LLMRequest
from workers.llm.prompting import provider_messages
from workers.llm.retry import parse_duration, parse_retry_after
from workers.llm.secrets import Secret, load_secret, redact
from workers.llm.structured_mode import ModeMemory
from workers.llm.tokens import estimate_request_tokens, estimate_text_tokens

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_TRANSIENT_STATUSES = {408, 409, 429}
STRUCTURED_MODES = ("auto", "json_schema", "json_object")
# Statuses that say nothing about the request's shape: never a reason to change mode.
_NOT_A_FORMAT_REFUSAL = {401, 403, 408, 409, 429}


class OpenAIBackend:
    method = "llm"
    remote = True

    def __init__(
        self,
        *,
        api_key: str | Secret | None = None,
        api_key_file: str | Path | None = None,
        base_url: str | None = None,
        timeout_s: float = 60.0,
        max_tokens_param: str = "max_completion_tokens",
        structured_output: str = "auto",
        context_tokens: int | None = None,
        discover_context: bool = False,
        name: str = "openai",
        mode_memory: ModeMemory | None = None,
    ) -> None:
        """``max_tokens_param`` may be ``"max_tokens"`` for OpenAI-compatible servers that
        predate ``max_completion_tokens``; requests are fitted into ``context_tokens`` when
        given, else (``discover_context``) into the window the server publishes, if any;
        ``name`` is the backend's name in usage, metrics and rate limits (``"embedded"`` for
        DIA3's own llama.cpp server); ``mode_memory`` shares what ``auto`` finds out."""
        if structured_output not in STRUCTURED_MODES:
            raise LLMPermanentError(
                f"structured_output must be one of {STRUCTURED_MODES}, got {structured_output!r}"
            )
        self.name = name
        secret = api_key if isinstance(api_key, Secret) else load_secret(api_key, api_key_file)
        if not secret:
            who = "OpenAI" if name == "openai" else f"{name} LLM server"
            raise LLMPermanentError(f"no {who} API key configured", backend=name)
        self._secret = secret
        self._max_tokens_param = max_tokens_param
        self._mode = structured_output
        self._memory = mode_memory
        self._timeout_s = timeout_s
        self._windows: dict[str, int | None] = {}
        self._configured_window = context_tokens or None
        self._discover = discover_context
        self._lock = threading.Lock()
        self._client = openai.OpenAI(
            api_key=secret.reveal(),
            base_url=base_url or DEFAULT_BASE_URL,
            max_retries=0,
            timeout=timeout_s,
        )

    @property
    def structured_output(self) -> str:
        """The mode in use: ``auto`` until the server's answers (or another process's
        finding, recalled) have told which one it takes."""
        return self._mode

    @property
    def server(self) -> str:
        """The server's base URL: what a found mode is remembered by."""
        return str(self._client.base_url)

    def __repr__(self) -> str:
        return f"OpenAIBackend(base_url={str(self._client.base_url)!r})"

    def generate(self, request: LLMRequest) -> BackendReply:
        request, params = self._prepared(request)
        completion, requests = self._create(request, params)
        if not completion.choices:
            raise LLMTransientError(f"{self.name} returned no choices", backend=self.name)
        message = completion.choices[0].message
        if getattr(message, "refusal", None):
            raise LLMOutputError(f"model refused: {message.refusal}", backend=self.name)
        text = message.content or ""
        if completion.usage is None:
            return self._estimated_reply(request, text, requests)
        return BackendReply(
            text=text,
            input_tokens=completion.usage.prompt_tokens,
            output_tokens=completion.usage.completion_tokens,
            requests=requests,
        )

    def stream(self, request: LLMRequest) -> Iterator[StreamPiece]:
        request, params = self._prepared(request)
        chunks = self._sdk_call(
            self._client.chat.completions.create,
            **params,
            stream=True,
            stream_options={"include_usage": True},
        )
        return self._pieces(request, chunks)

    def context_window(self, model: str) -> int | None:
        """The model's context window: configured, else read once from the server."""
        if self._configured_window or not self._discover:
            return self._configured_window
        with self._lock:
            if model not in self._windows:
                self._windows[model] = discover_window(
                    str(self._client.base_url), self._secret.reveal(), model,
                    min(self._timeout_s, 10.0))
            return self._windows[model]

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

    def _prepared(self, request: LLMRequest) -> tuple[LLMRequest, dict[str, Any]]:
        """``request`` fitted into the context window, and its parameters."""
        if self._mode == "auto" and request.json_schema is not None and self._memory:
            recalled = self._memory.recall(self.server)
            if recalled:
                self._mode = recalled
                metrics.STRUCTURED_MODE.labels(self.name, recalled, "recalled").inc()
        max_tokens = request.max_output_tokens
        window = self.context_window(request.model)
        if window:
            fitted = fit_request(request, window)
            if fitted.dropped_evidence:
                log.info("%s/%s: %d of %d evidence passages left out to fit a context window "
                         "of %d tokens", self.name, request.model, fitted.dropped_evidence,
                         len(request.evidence), window)
            request, max_tokens = fitted.request, fitted.max_output_tokens
        return request, self._params(request, max_tokens)

    def _create(self, request: LLMRequest, params: dict[str, Any]):
        """The completion and how many requests it took: in ``auto`` mode a refused
        ``json_schema`` is asked again as ``json_object`` (and that mode kept)."""
        asked_schema = params.get("response_format", {}).get("type") == "json_schema"
        try:
            completion = self._sdk_call(self._client.chat.completions.create, **params)
        except LLMError as exc:
            if not self._format_refused(request, exc):
                raise
            refusal = exc
        else:
            if asked_schema and self._mode == "auto":
                self._found("json_schema")
            return completion, 1
        retry = {**params, "response_format": self._json_object(request),
                 "messages": provider_messages(request, outline_schema=True)}
        try:
            completion = self._sdk_call(self._client.chat.completions.create, **retry)
        except LLMError:
            raise refusal from None
        self._found("json_object")
        log.warning("%s refused response_format json_schema (HTTP %s); using json_object "
                    "with the schema from now on", self.name, refusal.status_code)
        return completion, 2

    def _found(self, mode: str) -> None:
        """The server's answers said how it takes a schema: use and share that."""
        self._mode = mode
        metrics.STRUCTURED_MODE.labels(self.name, mode, "detected").inc()
        if self._memory:
            self._memory.remember(self.server, mode)

    def _format_refused(self, request: LLMRequest, exc: LLMError) -> bool:
        return (self._mode == "auto" and request.json_schema is not None
                and exc.status_code is not None and exc.status_code >= 400
                and exc.status_code not in _NOT_A_FORMAT_REFUSAL)

    def _params(self, request: LLMRequest, max_tokens: int | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model,
            "messages": provider_messages(request, outline_schema=self._mode == "json_object"),
        }
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if request.seed is not None:
            params["seed"] = request.seed
        if max_tokens is not None:
            params[self._max_tokens_param] = max_tokens
        if request.json_schema is not None:
            params["response_format"] = (self._json_object(request)
                                         if self._mode == "json_object"
                                         else self._json_schema(request))
        if request.options:
            params["extra_body"] = dict(request.options)
        return params

    @staticmethod
    def _json_schema(request: LLMRequest) -> dict[str, Any]:
        return {
            "type": "json_schema",
            "json_schema": {
                "name": _schema_name(request.schema_name),
                "schema": dict(request.json_schema or {}),
                "strict": False,
            },
        }

    @staticmethod
    def _json_object(request: LLMRequest) -> dict[str, Any]:
        """The servers that take this form enforce the schema with a llama.cpp grammar."""
        return {"type": "json_object", "schema": grammar_friendly(request.json_schema or {})}

    def _estimated_reply(self, request: LLMRequest, text: str, requests: int = 1
                         ) -> BackendReply:
        """Counts for a provider that reported none: the whole prompt as sent (caller's
        messages, evidence and schema turn, repair turn) and the reply."""
        return BackendReply(
            text=text,
            input_tokens=estimate_request_tokens(request),
            output_tokens=estimate_text_tokens(text),
            tokens_estimated=True,
            requests=requests,
        )

    def _translate(self, exc: openai.OpenAIError) -> LLMError:
        if isinstance(exc, openai.APITimeoutError):
            return LLMTransientError(f"{self.name} request timed out", backend=self.name)
        if isinstance(exc, openai.APIConnectionError):
            return LLMTransientError(f"could not connect to {self.name}", backend=self.name)
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

"""The one entry point agents use: caching, rate limiting, retries and accounting around a backend.

Every backend gets identical production behaviour from this wrapper, which composes the
pieces beside it rather than doing their work itself:

* a Redis response cache keyed on backend, model, messages, evidence and parameters
  (:mod:`.cache`);
* the shared Redis rate limiter (remote backends only), waiting when the window is full
  (:mod:`.rate_limit`);
* retries with exponential backoff and jitter that honour ``Retry-After``; permanent errors
  (401/403/400...) are never retried (:mod:`.retry`);
* structured output validated against the JSON schema, with one repair round-trip
  (:mod:`.structured`);
* a :class:`UsageRecord` per call (tokens, cost, waits) and Prometheus metrics (:mod:`.usage`).

``chat``, ``structured`` and ``stream_chat`` take the same :class:`RequestOptions`.
One instance per process is enough; it is safe to share between threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar

from .backends.base import BackendReply, ChatBackend, StreamPiece
from .cache import NO_CACHE, CacheEntry, ResponseCache
from .errors import LLMError, LLMPermanentError
from .messages import Evidence, LLMRequest, Message, to_evidence, to_messages
from .options import DEFAULT_OPTIONS, RequestOptions
from .pricing import PriceTable
from .rate_limit import RedisRateLimiter, reserve
from .retry import RetryPolicy
from .structured import check_schema, stamp_method, structured_reply
from .tokens import estimate_request_tokens
from .usage import UsageMeter, UsageRecord

T = TypeVar("T")

DEFAULT_MAX_OUTPUT_TOKENS = 1024

Messages = Iterable[Mapping[str, Any] | Message]


@dataclass(frozen=True)
class ChatResult:
    text: str
    usage: UsageRecord


@dataclass(frozen=True)
class StructuredResult:
    """``data`` is valid against the requested schema; ``usage.repaired`` says if it took two
    tries; ``usage.method`` is ``"llm"`` or ``"extractive"``."""

    data: Any
    usage: UsageRecord


class LLMClient:
    def __init__(
        self,
        backend: ChatBackend,
        *,
        default_model: str | None = None,
        role_models: Mapping[str, str] | None = None,
        cache: ResponseCache | None = None,
        rate_limiter: RedisRateLimiter | None = None,
        retry_policy: RetryPolicy | None = None,
        prices: PriceTable | None = None,
        default_max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``role_models`` maps agent roles (e.g. ``"perspective"``, ``"final_report"``) to
        model names; roles without an entry use ``default_model``."""
        self.backend = backend
        self._default_model = default_model
        self._role_models = dict(role_models or {})
        self._cache = cache
        self._limiter = rate_limiter if backend.remote else None
        self._retry = retry_policy or RetryPolicy()
        self._prices = prices or PriceTable()
        self._default_max_output_tokens = default_max_output_tokens
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"LLMClient(backend={self.backend!r}, default_model={self._default_model!r})"

    # -- public API ------------------------------------------------------------------------

    def model_for(self, role: str | None = None) -> str:
        """The model configured for an agent role (or the default model)."""
        model = self._role_models.get(role) if role else None
        model = model or self._default_model
        if not model:
            raise LLMPermanentError(
                f"no model configured for role {role!r} and no default model",
                backend=self.backend.name,
            )
        return model

    def chat(self, messages: Messages, options: RequestOptions = DEFAULT_OPTIONS) -> ChatResult:
        """Messages (and optional evidence passages) in, reply text out."""
        request = self._request(messages, options)
        entry = self._cache_entry("chat", request, options)
        if (hit := entry.load()) is not None:
            return ChatResult(hit["text"], UsageRecord.cache_hit(self.backend, request.model))
        reply, usage = self._call(request)
        entry.store({"text": reply.text})
        return ChatResult(reply.text, usage)

    def structured(
        self,
        messages: Messages,
        schema: Mapping[str, Any],
        options: RequestOptions = DEFAULT_OPTIONS,
        *,
        schema_name: str = "response",
        constraint: Mapping[str, Any] | None = None,
    ) -> StructuredResult:
        """A JSON object valid against ``schema``.

        Invalid output (bad JSON or schema violations) is sent back to the model once with
        the validation problems; if the second reply is still invalid, raises
        :class:`LLMOutputError` listing the problems. ``constraint``, a narrower schema, is
        what the backend is asked to follow instead (servers that enforce a schema with a
        grammar then cannot write what the caller would only have to clean up, such as ids
        outside a known set); replies are still accepted by ``schema``.
        """
        check_schema(schema)
        if constraint is not None:
            check_schema(constraint)
        request = replace(
            self._request(messages, options),
            json_schema=constraint if constraint is not None else schema,
            accept_schema=schema if constraint is not None else None,
            schema_name=schema_name,
        )
        entry = self._cache_entry("structured", request, options)
        if (hit := entry.load()) is not None:
            return StructuredResult(hit["data"], UsageRecord.cache_hit(self.backend, request.model))
        data, usage = structured_reply(self._call, request, self.backend.name)
        data = stamp_method(data, schema, self.backend.method)
        entry.store({"data": data})
        return StructuredResult(data, usage)

    def stream_chat(
        self, messages: Messages, options: RequestOptions = DEFAULT_OPTIONS
    ) -> ChatStream:
        """Like :meth:`chat` but yields text deltas as they arrive.

        Errors before the first delta are retried like any call; an error mid-stream is
        raised as :class:`LLMTransientError` (the partial text is not cached).
        """
        request = self._request(messages, options)
        return ChatStream(self, request, self._cache_entry("chat", request, options))

    def count_tokens(
        self,
        messages: Messages,
        *,
        evidence: Iterable[Mapping[str, Any] | Evidence] = (),
    ) -> int:
        """An estimate of the input tokens a call would send (for budgeting before a call)."""
        messages, evidence = to_messages(messages), to_evidence(evidence)
        return estimate_request_tokens(LLMRequest(model="", messages=messages, evidence=evidence))

    def close(self) -> None:
        self.backend.close()

    # -- composition -----------------------------------------------------------------------

    def _request(self, messages: Messages, options: RequestOptions) -> LLMRequest:
        return options.request(messages, model=options.model or self.model_for(options.role))

    def _cache_entry(self, kind: str, request: LLMRequest, options: RequestOptions) -> CacheEntry:
        if self._cache is None or not options.use_cache:
            return NO_CACHE
        return self._cache.entry(self.backend.name, kind, request)

    def _call(self, request: LLMRequest) -> tuple[BackendReply, UsageRecord]:
        """One reply from upstream (rate limited, retried) and what it cost."""
        reply, meter = self._send(request, self.backend.generate)
        return reply, meter.record(reply)

    def _send(
        self, request: LLMRequest, operation: Callable[[LLMRequest], T]
    ) -> tuple[T, UsageMeter]:
        """``operation(request)`` under the rate limiter and retry policy, with its meter."""
        reservation = reserve(
            self._limiter, self.backend.name, request, self._default_max_output_tokens
        )
        meter = UsageMeter(
            self.backend,
            request.model,
            self._prices,
            reservation,
            clock=self._clock,
            sleep=self._sleep,
        )
        attempt = partial(operation, request)
        try:
            result = self._retry.run(
                partial(meter.measure, attempt),
                backend=self.backend.name,
                model=request.model,
                before_attempt=meter.admit,
                sleep=meter.pause,
            )
        except LLMError as exc:
            # What the failed call sent still counts (requests, waits, retries).
            exc.usage = meter.failed() if exc.usage is None else exc.usage
            raise
        return result, meter


@dataclass
class ChatStream:
    """Iterate for text deltas; afterwards ``text`` and ``usage`` hold the whole reply."""

    client: LLMClient
    request: LLMRequest
    cache: CacheEntry
    text: str = ""
    usage: UsageRecord | None = None
    _started: bool = field(default=False, repr=False)

    def __iter__(self) -> Iterator[str]:
        if self._started:
            raise RuntimeError("a ChatStream can be iterated only once")
        self._started = True
        client, request = self.client, self.request
        if (hit := self.cache.load()) is not None:
            self.text = hit["text"]
            self.usage = UsageRecord.cache_hit(client.backend, request.model)
            yield self.text
            return
        pieces: Iterator[StreamPiece]
        pieces, meter = client._send(request, client.backend.stream)
        parts: list[str] = []
        for piece in pieces:
            if piece.final is not None:
                self.text = "".join(parts)
                self.usage = meter.record(piece.final)
                self.cache.store({"text": self.text})
                return
            parts.append(piece.text)
            yield piece.text

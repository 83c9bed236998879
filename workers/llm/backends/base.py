"""What the shared client needs from a backend: one request in, one reply (or stream) out.

Backends do no caching, retrying or rate limiting; they translate a request into their
provider's call and the provider's errors into :mod:`..errors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from workers.llm.messages import LLMRequest


@dataclass(frozen=True)
class BackendReply:
    text: str
    input_tokens: int
    output_tokens: int
    tokens_estimated: bool = False
    #: HTTP requests this reply took (more than one when the backend had to find out how to
    #: ask, e.g. a structured-output mode the server refused first).
    requests: int = 1


@dataclass(frozen=True)
class StreamPiece:
    """A text delta; the last piece of a stream carries the token counts (``final``)."""

    text: str
    final: BackendReply | None = None


class ChatBackend(Protocol):
    #: Provider name; also the rate-limit bucket and the ``backend`` metric label.
    name: str
    #: ``"llm"`` for model-generated output, ``"extractive"`` for the local heuristics.
    method: str
    #: Whether upstream calls cost money/quota (decides rate limiting and pricing).
    remote: bool

    def generate(self, request: LLMRequest) -> BackendReply: ...

    def stream(self, request: LLMRequest) -> Iterator[StreamPiece]: ...

    def close(self) -> None: ...

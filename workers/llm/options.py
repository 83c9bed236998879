"""The per-call settings ``chat``, ``structured`` and ``stream_chat`` share, declared once.

One frozen object instead of the same eight keyword arguments on each method: an agent can
build its options once (role, temperature, evidence) and every call shape takes them alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .messages import Evidence, LLMRequest, Message, to_evidence, to_messages


@dataclass(frozen=True)
class RequestOptions:
    """How to make one call, apart from its messages (and, for ``structured``, its schema).

    ``model`` overrides the model the client maps ``role`` to; ``evidence`` are the passages
    the reply may cite (validated and frozen here, ids unique); ``provider_options`` are extra
    provider parameters (``extra_body`` for OpenAI, ``options`` for Ollama); ``use_cache=False``
    sends the call upstream even when the response cache holds an answer.
    """

    role: str | None = None
    model: str | None = None
    evidence: Iterable[Mapping[str, Any] | Evidence] = ()
    temperature: float | None = None
    max_output_tokens: int | None = None
    seed: int | None = None
    provider_options: Mapping[str, Any] | None = None
    use_cache: bool = True

    def __post_init__(self) -> None:
        # A list or generator of dicts becomes a tuple of Evidence, so the options can be
        # reused for several calls and bad passages fail where they are given.
        object.__setattr__(self, "evidence", to_evidence(self.evidence))

    def request(self, messages: Iterable[Mapping[str, Any] | Message], model: str) -> LLMRequest:
        """The provider-neutral request for ``messages`` with these options and ``model``."""
        return LLMRequest(
            model=model,
            messages=to_messages(messages),
            evidence=tuple(self.evidence),
            temperature=self.temperature,
            max_output_tokens=self.max_output_tokens,
            seed=self.seed,
            options=dict(self.provider_options or {}),
        )


DEFAULT_OPTIONS = RequestOptions()

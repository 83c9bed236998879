"""The provider-neutral request every backend receives.

Messages are plain ``{"role", "content"}`` mappings (the shape both OpenAI and Ollama use);
evidence passages are ``{"id", "text"}`` mappings that the local backend reads directly and
the LLM backends render into the prompt so the model can cite them by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from workers.llm.errors import LLMPermanentError

ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Message:
    role: str
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class Evidence:
    """One passage the analysis may cite; ``id`` is what ``evidence_ids``/citations refer to."""

    id: str
    text: str
    source: str | None = None

    def to_dict(self) -> dict[str, str]:
        data = {"id": self.id, "text": self.text}
        if self.source is not None:
            data["source"] = self.source
        return data


@dataclass(frozen=True)
class LLMRequest:
    """Everything that determines a reply; also the basis of the cache key."""

    model: str
    messages: tuple[Message, ...]
    json_schema: Mapping[str, Any] | None = None
    schema_name: str = "response"
    # What a reply is validated against when narrower ``json_schema`` is only what the
    # provider is asked to follow (None: ``json_schema`` itself).
    accept_schema: Mapping[str, Any] | None = None
    evidence: tuple[Evidence, ...] = ()
    temperature: float | None = None
    max_output_tokens: int | None = None
    seed: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    # The repair turn (invalid reply + what was wrong), sent after everything else.
    repair: tuple[Message, ...] = ()

    def with_repair(self, repair: tuple[Message, ...]) -> LLMRequest:
        return replace(self, repair=repair)

    def fingerprint(self) -> dict[str, Any]:
        """A JSON-able description of the request (no secrets), used for cache keys."""
        return {
            "model": self.model,
            "messages": [m.to_dict() for m in self.messages],
            "json_schema": self.json_schema,
            "schema_name": self.schema_name,
            "accept_schema": self.accept_schema,
            "evidence": [e.to_dict() for e in self.evidence],
            "temperature": self.temperature,
            "max_output_tokens": self.max_output_tokens,
            "seed": self.seed,
            "options": dict(self.options),
            "repair": [m.to_dict() for m in self.repair],
        }


def to_messages(messages: Iterable[Mapping[str, Any] | Message]) -> tuple[Message, ...]:
    """Validate and freeze caller-supplied messages."""
    result = []
    for item in messages:
        if isinstance(item, Message):
            result.append(item)
            continue
        role, content = item.get("role"), item.get("content")
        if role not in ROLES:
            raise LLMPermanentError(f"message role must be one of {ROLES}, got {role!r}")
        if not isinstance(content, str):
            raise LLMPermanentError("message content must be a string")
        result.append(Message(role=role, content=content))
    if not result:
        raise LLMPermanentError("at least one message is required")
    return tuple(result)


def to_evidence(passages: Iterable[Mapping[str, Any] | Evidence]) -> tuple[Evidence, ...]:
    """Validate and freeze evidence passages; ids must be unique non-empty strings."""
    result = []
    seen: set[str] = set()
    for item in passages:
        if not isinstance(item, Evidence):
            passage_id, text = item.get("id"), item.get("text")
            if not isinstance(passage_id, str) or not passage_id:
                raise LLMPermanentError("evidence id must be a non-empty string")
            if not isinstance(text, str):
                raise LLMPermanentError(f"evidence {passage_id!r} text must be a string")
            item = Evidence(id=passage_id, text=text, source=item.get("source"))
        if item.id in seen:
            raise LLMPermanentError(f"duplicate evidence id {item.id!r}")
        seen.add(item.id)
        result.append(item)
    return tuple(result)

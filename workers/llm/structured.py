"""Parsing and validating structured replies, and the message that asks for a repair."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import SchemaError
from jsonschema.validators import validator_for
from referencing.exceptions import Unresolvable

from workers.llm.errors import LLMPermanentError
from workers.llm.messages import Message

MAX_REPORTED_PROBLEMS = 5


@dataclass(frozen=True)
class Validation:
    data: Any
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_schema(schema: Mapping[str, Any]) -> None:
    """Reject a broken schema up front: that is a programming error, not bad model output."""
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        raise LLMPermanentError(f"invalid JSON schema: {exc.message}") from None


def validate_reply(text: str, schema: Mapping[str, Any]) -> Validation:
    """Parse ``text`` as JSON and check it against ``schema``; problems are human readable."""
    try:
        data = json.loads(_strip_code_fence(text))
    except json.JSONDecodeError as exc:
        return Validation(None, (f"reply is not valid JSON: {exc.msg} at position {exc.pos}",))
    validator = validator_for(schema)(schema)
    try:
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    except Unresolvable as exc:
        raise LLMPermanentError(f"JSON schema has an unresolvable $ref: {exc}") from None
    problems = tuple(
        f"at {_json_path(error.absolute_path)}: {error.message}"
        for error in errors[:MAX_REPORTED_PROBLEMS]
    )
    return Validation(data, problems)


def repair_messages(invalid_reply: str, problems: tuple[str, ...]) -> tuple[Message, ...]:
    """The follow-up turn that shows the model its own reply and what was wrong with it."""
    listing = "\n".join(f"- {p}" for p in problems)
    return (
        Message("assistant", invalid_reply),
        Message(
            "user",
            "Your previous reply did not satisfy the required JSON schema:\n"
            f"{listing}\n"
            "Reply again with only the corrected JSON object, no prose and no code fences.",
        ),
    )


def _strip_code_fence(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```") and stripped.endswith("```"):
        body = stripped[3:-3]
        return body.split("\n", 1)[1] if "\n" in body else body
    return stripped


def _json_path(path) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out

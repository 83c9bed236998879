"""Parsing and validating structured replies, and the one repair round-trip.

A reply that is not valid JSON for the schema is shown back to the model with what was
wrong; :func:`structured_reply` runs that exchange so the client only supplies the call.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from jsonschema import SchemaError
from jsonschema.validators import validator_for
from referencing.exceptions import Unresolvable

from . import metrics
from .errors import LLMError, LLMOutputError, LLMPermanentError
from .messages import LLMRequest, Message

if TYPE_CHECKING:
    from .backends.base import BackendReply
    from .usage import UsageRecord

log = logging.getLogger(__name__)

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
        # strict=False: a raw newline or tab inside a string (llama.cpp's JSON grammar lets
        # models write them) is read as the character it is instead of failing the reply.
        data = json.loads(_strip_code_fence(text), strict=False)
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


def structured_reply(
    call: Callable[[LLMRequest], tuple[BackendReply, UsageRecord]],
    request: LLMRequest,
    backend: str,
) -> tuple[Any, UsageRecord]:
    """Data valid against ``request.json_schema`` and the usage of getting it.

    Invalid output is sent back once with its problems; if the second reply is still
    invalid, raises :class:`LLMOutputError` (carrying the usage of both calls).
    """
    schema = request.accept_schema or request.json_schema or {}
    reply, usage = call(request)
    validation = validate_reply(reply.text, schema)
    if validation.ok:
        return validation.data, usage
    log.info(
        "%s/%s structured reply invalid (%s); asking for a repair",
        backend,
        request.model,
        "; ".join(validation.problems),
    )
    try:
        reply, repair_usage = call(
            request.with_repair(repair_messages(reply.text, validation.problems))
        )
    except LLMError as exc:
        exc.usage = usage if exc.usage is None else usage.plus(exc.usage)
        raise
    usage = replace(usage.plus(repair_usage), repaired=True)
    validation = validate_reply(reply.text, schema)
    metrics.REPAIRS.labels(backend, request.model, "ok" if validation.ok else "failed").inc()
    if validation.ok:
        return validation.data, usage
    error = LLMOutputError(
        f"{backend}/{request.model} structured output is still invalid after one repair "
        "attempt: " + "; ".join(validation.problems),
        backend=backend,
        problems=validation.problems,
    )
    error.usage = usage
    raise error


def stamp_method(data: Any, schema: Mapping[str, Any], method: str) -> Any:
    """Make a top-level ``method`` field tell the truth about how the data was produced."""
    if not isinstance(data, dict) or "method" not in schema.get("properties", {}):
        return data
    stamped = {**data, "method": method}
    return stamped if validator_for(schema)(schema).is_valid(stamped) else data


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

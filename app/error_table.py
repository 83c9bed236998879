"""The one table from exceptions to how DIA3 answers them, for every surface.

Engines and services raise errors that only say what went wrong (``field``, ``reason``,
``code``). :data:`TABLE` alone decides the HTTP status and the error body of each: the REST
API answers with them, the audit log records the status, and the MCP server words its tool
errors from them. A type is looked up along its MRO, as Flask picks error handlers, so the
most specific row wins; anything unlisted is an internal error (500) whose text stays here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import kombu.exceptions
import redis
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from app.auth.keys import KeyNotFound, KeyRejected
from app.backpressure import RETRY_AFTER_SECONDS as QUEUE_RETRY_AFTER_SECONDS
from app.backpressure import QueueFull
from app.error_bounds import bounded
from app.errors import Busy, Conflict, Forbidden, InputError, NotReplicated, OverBudget
from app.jobs.store import InvalidTransition, JobNotFound
from app.replication import RETRY_AFTER_SECONDS as REPLICA_RETRY_AFTER_SECONDS
from app.schedules.store import ScheduleNotFound
from app.webhooks.store import DeliveryNotFound, WebhookNotFound
from app.workflows.fields import nested_error
from app.workflows.knowledge import errors as kb

RETRY_AFTER_SECONDS = 5  # for an unreachable dependency that gives no better hint
INVALID = "The request has invalid fields; see 'errors'."
INTERNAL = "Internal error; it has been logged with the request id."
UNREACHABLE = "The job store (Redis) is unreachable; retry shortly."
NOT_REPLICATED = ("The request was written but not yet copied to enough Redis replicas to "
                  "survive a failover; retry it (with the same idempotency key) shortly.")
TOO_LARGE = "Request body is larger than the limit of the API (DIA3_MAX_BODY_BYTES)."
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="dia3"'}
REJECTIONS = {  # KeyRejected.reason -> message
    "missing": "Missing API key: send it in X-API-Key or as 'Authorization: Bearer <key>'.",
    "expired": "Expired API key: ask an admin for a new key or a rotation.",
    "invalid": "Invalid or revoked API key.",
}


def error_body(status: int, message: str, errors: dict | None = None) -> dict[str, Any]:
    """DIA3's one JSON error shape: ``{code, status, message, errors}``. Field paths are
    strings (list positions too), so keys of both kinds in one answer still sort as JSON; at
    most ``MAX_FIELD_ERRORS`` field messages are kept and ``errors.omitted`` counts the rest."""
    kept, omitted = bounded(_string_keys(errors or {}))
    if omitted and isinstance(kept, dict):
        kept["omitted"] = omitted
        message = f"{message} ({omitted} further field errors are left out.)"
    return {"code": status, "status": HTTPStatus(status).phrase, "message": message,
            "errors": kept}


def _string_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _string_keys(item) for key, item in value.items()}
    return value


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What a row says about one error, besides its status."""

    message: str
    errors: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    fields: dict[str, Any] | None = None  # field-level errors, before they get a location
    path: str | None = None  # the culprit's dotted path, which tells where it was sent
    log: str | None = None  # worth a WARNING on the API, with log_extra
    log_extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Failure(Answer):
    """How one raised error is answered."""

    status: int
    internal: bool = False  # unexpected: its own text must not reach the client

    def body(self, location: str = "json") -> dict[str, Any]:
        """The error body; field-level errors go under ``location`` (json, query, path…)."""
        errors = {location: self.fields} if self.fields is not None else self.errors
        return error_body(self.status, self.message, errors)


@dataclass(frozen=True)
class Row:
    status: int | None  # None: the exception's own ``code`` (werkzeug's HTTP errors)
    answer: Callable[[Any], Answer]
    internal: bool = False


def _retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def _said(exc: BaseException) -> Answer:
    return Answer(message=str(exc))


def _rejected(exc: KeyRejected) -> Answer:
    return Answer(message=REJECTIONS[exc.reason], headers=CHALLENGE)


def _no_job(exc: JobNotFound) -> Answer:
    return Answer(message=f"No job {exc.args[0]!s}.")


def _no_schedule(exc: ScheduleNotFound) -> Answer:
    return Answer(message=f"No schedule {exc.args[0]!s}.")


def _no_webhook(exc: WebhookNotFound) -> Answer:
    return Answer(message=f"No webhook {exc.args[0]!s}.")


def _no_delivery(exc: DeliveryNotFound) -> Answer:
    return Answer(message=f"No delivery {exc.args[0]!s} of this webhook.")


def _wrong_state(exc: InvalidTransition) -> Answer:
    return Answer(message=str(exc), errors={"state": exc.current})


def _other_embedder(exc: kb.EmbedderMismatch) -> Answer:
    return Answer(message=exc.message,
                  errors={"embedder": {"expected": exc.expected, "got": exc.got}})


def _invalid(exc: ValidationError) -> Answer:
    return Answer(message=INVALID, fields=exc.messages)


def _invalid_field(exc: InputError | kb.InputError) -> Answer:
    message = exc.message.removeprefix(f"{exc.field}: ")
    return Answer(message=INVALID, fields=nested_error(exc.field, message).messages,
                  path=exc.field)


def _with_reason(exc: kb.PermanentError) -> Answer:
    return Answer(message=exc.message, errors={"reason": exc.reason})


def _retry_later(exc: kb.TransientError) -> Answer:
    return Answer(message=exc.message, errors={"reason": exc.reason},
                  headers=_retry_after(exc.retry_after or RETRY_AFTER_SECONDS))


def _queue_full(exc: QueueFull) -> Answer:
    state = {"queue": exc.queue, "depth": exc.depth, "limit": exc.limit}
    return Answer(message=str(exc), errors=state,
                  headers=_retry_after(QUEUE_RETRY_AFTER_SECONDS),
                  log="job refused: queue over its depth limit", log_extra=state)


def _busy(exc: Busy) -> Answer:
    return Answer(message=str(exc), headers=_retry_after(exc.retry_after))


def _over_budget(exc: OverBudget) -> Answer:
    return Answer(message=str(exc), errors={"limit": exc.limit},
                  headers=_retry_after(exc.retry_after))


def _unreachable(exc: BaseException) -> Answer:
    return Answer(message=UNREACHABLE, headers=_retry_after(RETRY_AFTER_SECONDS),
                  log="backing store unreachable",
                  log_extra={"reason": exc.__class__.__name__})


def _not_replicated(exc: NotReplicated) -> Answer:
    state = {"acknowledged": exc.acknowledged, "required": exc.required}
    return Answer(message=NOT_REPLICATED, errors={"replicas": state},
                  headers=_retry_after(REPLICA_RETRY_AFTER_SECONDS),
                  log="write not acknowledged by enough Redis replicas", log_extra=state)


def _http(exc: HTTPException) -> Answer:
    """werkzeug's and flask-smorest's HTTP errors (``abort``, webargs' 422, routing)."""
    data = getattr(exc, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    message = data.get("message") or exc.description or HTTPStatus(exc.code).phrase
    if exc.code == 422 and message == exc.description:
        message = INVALID
    headers = dict(data.get("headers") or {})
    if exc.code == 413 and not data.get("message"):
        message = TOO_LARGE
    if exc.code == 405:
        headers["Allow"] = ", ".join(exc.valid_methods or [])
    return Answer(message=message, errors=errors, headers=headers)


def _internal(exc: BaseException) -> Answer:
    return Answer(message=INTERNAL)


TABLE: dict[type[BaseException], Row] = {
    KeyRejected: Row(401, _rejected),
    Forbidden: Row(403, _said),
    JobNotFound: Row(404, _no_job),
    ScheduleNotFound: Row(404, _no_schedule),
    WebhookNotFound: Row(404, _no_webhook),
    DeliveryNotFound: Row(404, _no_delivery),
    KeyNotFound: Row(404, _said),
    kb.NotFound: Row(404, _said),
    InvalidTransition: Row(409, _wrong_state),
    kb.Conflict: Row(409, _said),
    Conflict: Row(409, _said),
    kb.EmbedderMismatch: Row(409, _other_embedder),
    ValidationError: Row(422, _invalid),
    InputError: Row(422, _invalid_field),
    kb.InputError: Row(422, _invalid_field),
    kb.PermanentError: Row(422, _with_reason),
    kb.RateLimited: Row(429, _retry_later),
    OverBudget: Row(429, _over_budget),
    kb.NotInstalled: Row(503, _with_reason),  # installing it helps, not retrying
    kb.TransientError: Row(503, _retry_later),
    QueueFull: Row(503, _queue_full),
    Busy: Row(503, _busy),
    NotReplicated: Row(503, _not_replicated),
    redis.ReadOnlyError: Row(503, _unreachable),  # a demoted primary, before clients move on
    redis.ConnectionError: Row(503, _unreachable),  # AuditUnavailable included
    redis.TimeoutError: Row(503, _unreachable),
    kombu.exceptions.OperationalError: Row(503, _unreachable),
    ConnectionError: Row(503, _unreachable),
    kb.KnowledgeError: Row(500, _said),
    HTTPException: Row(None, _http),
    Exception: Row(500, _internal, internal=True),
}


def row_of(exc: BaseException) -> Row:
    """The row of the most specific listed type in ``exc``'s MRO (else the internal one)."""
    return next((TABLE[cls] for cls in type(exc).__mro__ if cls in TABLE), TABLE[Exception])


def status_of(exc: BaseException) -> int:
    """The HTTP status ``exc`` is answered with."""
    row = row_of(exc)
    return row.status if row.status is not None else (getattr(exc, "code", None) or 500)


def failure_of(exc: BaseException) -> Failure:
    """Everything about how ``exc`` is answered: status, body parts, headers, log line."""
    row = row_of(exc)
    return Failure(status=status_of(exc), internal=row.internal, **vars(row.answer(exc)))

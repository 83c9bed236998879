"""One JSON error shape for every failure: ``{code, status, message, errors}``."""

from __future__ import annotations

import logging
from http import HTTPStatus

import kombu.exceptions
import redis
from flask import jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from app.api.error_bounds import bounded
from app.auth.admin import KeyNotFound
from app.backpressure import RETRY_AFTER_SECONDS as QUEUE_RETRY_AFTER_SECONDS
from app.backpressure import QueueFull
from app.jobs.store import InvalidTransition, JobNotFound
from app.service import Forbidden

log = logging.getLogger("dia3.api")
RETRY_AFTER_SECONDS = 5


def error_response(code: int, message: str, errors=None, headers=None):
    errors, omitted = bounded(errors or {})
    if omitted and isinstance(errors, dict):
        errors["omitted"] = omitted
        message = f"{message} ({omitted} further field errors are left out.)"
    body = {"code": code, "status": HTTPStatus(code).phrase, "message": message,
            "errors": errors}
    response = jsonify(body)
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def handle_http(exc: HTTPException):
    data = getattr(exc, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    message = data.get("message") or exc.description or HTTPStatus(exc.code).phrase
    if exc.code == 422 and message == exc.description:
        message = "The request has invalid fields; see 'errors'."
    headers = dict(data.get("headers") or {})
    if exc.code == 413 and not data.get("message"):
        message = "Request body is larger than the limit of the API (DIA3_MAX_BODY_BYTES)."
    if exc.code == 405:
        headers["Allow"] = ", ".join(exc.valid_methods or [])
    return error_response(exc.code or 500, message, errors, headers)


def handle_validation(exc: ValidationError):
    return error_response(422, "The request has invalid fields; see 'errors'.",
                          {"json": exc.messages})


def handle_not_found(exc: JobNotFound):
    return error_response(404, f"No job {exc.args[0]!s}.")


def handle_key_not_found(exc: LookupError):
    return error_response(404, str(exc))


def handle_conflict(exc: InvalidTransition):
    return error_response(409, str(exc), {"state": exc.current})


def handle_forbidden(exc: Forbidden):
    return error_response(403, str(exc))


def handle_unavailable(exc: Exception):
    log.warning("backing store unreachable", extra={"reason": exc.__class__.__name__})
    return error_response(503, "The job store (Redis) is unreachable; retry shortly.",
                          headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def handle_queue_full(exc: QueueFull):
    log.warning("job refused: queue over its depth limit",
                extra={"queue": exc.queue, "depth": exc.depth, "limit": exc.limit})
    return error_response(503, str(exc), {"queue": exc.queue, "depth": exc.depth,
                                          "limit": exc.limit},
                          headers={"Retry-After": str(QUEUE_RETRY_AFTER_SECONDS)})


def handle_unexpected(exc: Exception):
    log.exception("unhandled error")
    return error_response(500, "Internal error; it has been logged with the request id.")


def register(app) -> None:
    app.register_error_handler(ValidationError, handle_validation)
    app.register_error_handler(JobNotFound, handle_not_found)
    app.register_error_handler(KeyNotFound, handle_key_not_found)
    app.register_error_handler(InvalidTransition, handle_conflict)
    app.register_error_handler(Forbidden, handle_forbidden)
    app.register_error_handler(QueueFull, handle_queue_full)
    for exc in (redis.ConnectionError, redis.TimeoutError, kombu.exceptions.OperationalError,
                ConnectionError):
        app.register_error_handler(exc, handle_unavailable)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)

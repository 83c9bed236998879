"""The REST API's error handlers: every raised error answered as :mod:`app.error_table` says.

One handler serves every row of the table (registered app-wide, so a knowledge error from
``POST /jobs`` is answered like one from ``/collections``); this module only adds what needs
the request: where a culprit field was sent, and the log lines.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request

from app import error_table

log = logging.getLogger("dia3.api")
# field -> URL variable
PATH_FIELDS = {"collection": "name", "document_id": "document_id", "tenant": "tenant"}


def error_response(code: int, message: str, errors: dict | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """A response with DIA3's error body (for answers that are not a raised error)."""
    return _response(error_table.error_body(code, message, errors), headers)


def _response(body: dict, headers: dict[str, str] | None) -> Response:
    response = jsonify(body)
    response.status_code = body["code"]
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _location(field: str | None) -> str:
    """Where the culprit was sent: the URL path, the query, a form or the JSON body."""
    if field is None:
        return "json"
    root = field.split(".", 1)[0]
    if PATH_FIELDS.get(root) in (request.view_args or {}):
        return "path"
    if request.mimetype == "multipart/form-data":
        return "form"
    return "query" if request.method in ("GET", "DELETE") else "json"


def _logged(exc: BaseException) -> error_table.Failure:
    """How ``exc`` is answered; an unexpected error is logged with its traceback."""
    failure = error_table.failure_of(exc)
    if failure.internal:
        log.error("unhandled error", exc_info=exc)
    elif failure.log:
        log.warning(failure.log, extra=failure.log_extra)
    return failure


def respond(exc: BaseException) -> Response:
    """The answer to ``exc``."""
    failure = _logged(exc)
    return _response(failure.body(_location(failure.path)), failure.headers)


def item_error(exc: BaseException) -> tuple[dict, dict[str, str]]:
    """The error body of ``exc`` raised for one item of a bulk request, and the headers its
    own response would have had. Its field errors are those of the item
    (``{"params": {...}}``), which the item's index locates."""
    failure = _logged(exc)
    fields = failure.fields if failure.fields is not None else failure.errors
    return error_table.error_body(failure.status, failure.message, fields), failure.headers


def register(app: Flask) -> None:
    for error_type in error_table.TABLE:
        app.register_error_handler(error_type, respond)

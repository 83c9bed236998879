"""The knowledge engine's errors as DIA3's JSON error shape ``{code, status, message, errors}``.

Registered app-wide (a knowledge error may also surface from ``POST /jobs``): bad input is a
field-level 422, a missing collection or document 404, an existing collection or the wrong
embedder 409, a used-up quota 429 and an unreachable store or embedder 503, the last two
with ``Retry-After``.
"""

from __future__ import annotations

import math

from flask import request

from app.api.errors import RETRY_AFTER_SECONDS, error_response
from app.workflows.fields import nested_error
from app.workflows.knowledge import errors as kb

PATH_FIELDS = {"collection": "name", "document_id": "document_id"}


def _location(field: str) -> str:
    """Where the culprit was sent: the URL path, the query, a form or the JSON body."""
    root = field.split(".", 1)[0]
    if PATH_FIELDS.get(root) in (request.view_args or {}):
        return "path"
    if request.mimetype == "multipart/form-data":
        return "form"
    return "query" if request.method in ("GET", "DELETE") else "json"


def handle_input(error: kb.InputError):
    message = error.message.removeprefix(f"{error.field}: ")
    return error_response(422, "The request has invalid fields; see 'errors'.",
                          {_location(error.field): nested_error(error.field, message).messages})


def handle_mismatch(error: kb.EmbedderMismatch):
    return error_response(409, error.message,
                          {"embedder": {"expected": error.expected, "got": error.got}})


def _retry_after(error: kb.TransientError) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(error.retry_after or RETRY_AFTER_SECONDS)))}


def handle_transient(error: kb.TransientError):
    status = 429 if isinstance(error, kb.RateLimited) else 503
    return error_response(status, error.message, {"reason": error.reason},
                          headers=_retry_after(error))


def handle_other(error: kb.KnowledgeError):
    errors = {"reason": error.reason} if isinstance(error, kb.PermanentError) else None
    return error_response(error.http_status, error.message, errors)


def register(blueprint) -> None:
    """Install the handlers for the whole app when ``blueprint`` is registered."""
    blueprint.app_errorhandler(kb.InputError)(handle_input)
    blueprint.app_errorhandler(kb.EmbedderMismatch)(handle_mismatch)
    blueprint.app_errorhandler(kb.TransientError)(handle_transient)
    blueprint.app_errorhandler(kb.KnowledgeError)(handle_other)

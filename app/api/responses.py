"""The error responses each operation documents in the OpenAPI spec.

Every authenticated operation can answer 401 (no or bad key), 429 (its key's rate limit) and
503 (Redis or the knowledge store unreachable, or a job queue under backpressure); one with a
JSON body also 400 (not JSON), 413 (over DIA3_MAX_BODY_BYTES) and 422 (invalid fields). The
rest are listed per operation. All use DIA3's error body ``{code, status, message, errors}``.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema

ALWAYS = (401, 429, 503)
WITH_BODY = (400, 413, 422)


def _header(description: str) -> dict:
    return {"description": description, "schema": {"type": "integer"}}


RETRY_AFTER = _header("Seconds to wait before trying again")
# Headers a client may act on, by status.
HEADERS = {
    429: {"Retry-After": RETRY_AFTER,
          "X-RateLimit-Limit": _header("Requests allowed per window for this key"),
          "X-RateLimit-Remaining": _header("Requests left in the current window"),
          "X-RateLimit-Reset": _header("When the window resets (Unix time)")},
    503: {"Retry-After": RETRY_AFTER},
}


def errors(blp: Blueprint, *codes: int, body: bool = False) -> Callable:
    """Decorator documenting ``codes`` (plus the ones every operation has) on an operation."""
    documented = sorted(set(ALWAYS) | set(codes) | (set(WITH_BODY) if body else set()))

    def wrap(func: Callable) -> Callable:
        for code in documented:
            if code in HEADERS:
                func = blp.alt_response(code, schema=ErrorSchema, headers=HEADERS[code],
                                        description=HTTPStatus(code).phrase)(func)
            else:
                func = blp.alt_response(code, response=HTTPStatus(code).name)(func)
        return func
    return wrap

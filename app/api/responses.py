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

ALWAYS = (401, 429, 503)
WITH_BODY = (400, 413, 422)


def errors(blp: Blueprint, *codes: int, body: bool = False) -> Callable:
    """Decorator documenting ``codes`` (plus the ones every operation has) on an operation."""
    documented = sorted(set(ALWAYS) | set(codes) | (set(WITH_BODY) if body else set()))

    def wrap(func: Callable) -> Callable:
        for code in documented:
            func = blp.alt_response(code, response=HTTPStatus(code).name)(func)
        return func
    return wrap

"""CORS, closed unless configured: a browser page on another origin may call the API only when
that origin is listed in ``DIA3_CORS_ORIGINS``.

API keys travel in headers, never in cookies, so credentials are never allowed and a listed
origin is echoed back exactly (no ``*``). A preflight from an unlisted origin is refused with
a 403 and no CORS headers, so the browser never sends the real request.
"""

from __future__ import annotations

from flask import Response, current_app, request

from app.api.errors import error_response

CONFIG_KEY = "DIA3_CORS_ORIGINS"
ALLOW_METHODS = "GET, POST, DELETE, OPTIONS"
ALLOW_HEADERS = "X-API-Key, Authorization, Content-Type, X-Request-ID"
EXPOSE_HEADERS = ("X-Request-ID, Location, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, "
                  "X-RateLimit-Reset")
PREFLIGHT_MAX_AGE = "600"


def parse_origins(text: str) -> frozenset[str]:
    """The origins in a comma-separated list, normalised (case, trailing slash, blanks)."""
    return frozenset(o.strip().rstrip("/").lower() for o in text.split(",") if o.strip())


def allowed_origin() -> str | None:
    """The request's Origin if it is listed, else None."""
    origin = request.headers.get("Origin", "")
    listed = current_app.config.get(CONFIG_KEY, frozenset())
    return origin if origin and origin.rstrip("/").lower() in listed else None


def is_preflight() -> bool:
    return (request.method == "OPTIONS" and "Origin" in request.headers
            and "Access-Control-Request-Method" in request.headers)


def preflight_response() -> Response:
    """The answer to a preflight: 204 with the CORS grant for a listed origin, else 403."""
    if allowed_origin() is None:
        return error_response(403, "Cross-origin requests from this origin are not allowed.")
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
    response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def add_headers(response: Response) -> None:
    """Grant a listed origin read access to this response; nothing for anyone else."""
    response.vary.add("Origin")
    origin = allowed_origin()
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS

"""JSON request bodies with a nesting limit.

Python's JSON decoder recurses once per nesting level, so a small body of ``[[[[…`` raises
RecursionError — a 500 — and a merely deep one makes every later step (validation, storing
params, Chroma filters) recurse as deep. Bodies nested deeper than ``MAX_DEPTH`` levels are a
400 instead, whichever way the body is read: by flask-smorest's argument parser
(:class:`Blueprint`) or by ``request.get_json()`` (:class:`JSONProvider`).
"""

from __future__ import annotations

import json
from typing import Any

import flask_smorest
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

MAX_DEPTH = 64


def nesting(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a decoded JSON value, counted up to ``limit + 1`` (no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= limit:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children
                     if isinstance(child, dict | list))
    return deepest


def loads(text: str | bytes) -> Any:
    """``json.loads`` that refuses bodies nested deeper than MAX_DEPTH with a ValueError."""
    too_deep = json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", "(body)", 0)
    try:
        value = json.loads(text)
    except RecursionError:
        raise too_deep from None
    brackets = text.count(b"[" if isinstance(text, bytes) else "[") + text.count(
        b"{" if isinstance(text, bytes) else "{")
    if brackets > MAX_DEPTH and isinstance(value, dict | list) and nesting(value) > MAX_DEPTH:
        raise too_deep
    return value


class JSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


class Parser(FlaskParser):
    """flask-smorest's argument parser with the nesting limit and a message that says why."""

    def _raw_load_json(self, req) -> Any:
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        try:
            return loads(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"not UTF-8 ({exc.reason})", "(body)", 0) from exc

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(400, exc=error, message=f"The body is not valid JSON: {error.msg}.",
              messages={"json": [f"Invalid JSON body: {error.msg}."]})


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: flask-smorest's, reading JSON bodies through :class:`Parser`."""

    ARGUMENTS_PARSER = Parser()

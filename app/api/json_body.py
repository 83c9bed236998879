"""JSON request bodies with limits on their shape (``app.json_shape``).

Python's JSON decoder recurses once per nesting level, so a small body of ``[[[[…`` raises
RecursionError — a 500 — and a merely deep one makes every later step (validation, storing
params, Chroma filters) recurse as deep: bodies nested deeper than ``MAX_DEPTH`` levels are
a 400. An object with more than ``MAX_KEYS`` keys or a list with more than ``MAX_ITEMS`` items
is a 422 naming the field, before validation walks it. Both apply whichever way the body is
read: by flask-smorest's argument parser (:class:`Blueprint`) or by ``request.get_json()``
(:class:`JSONProvider`).
"""

from __future__ import annotations

import json
from typing import Any

import flask_smorest
from flask import has_request_context
from flask.json.provider import DefaultJSONProvider
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from app.json_shape import MAX_DEPTH, MAX_ITEMS, MAX_KEYS, ShapeError, check_shape


def loads(text: str | bytes) -> Any:
    """``json.loads`` with the shape limits: too deep is a ``JSONDecodeError``, too many keys
    or items a marshmallow ``ValidationError`` at the field's path."""
    too_deep = json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", "(body)", 0)
    try:
        value = json.loads(text)
    except RecursionError:
        raise too_deep from None
    if isinstance(value, dict | list) and _may_exceed(text):
        try:
            check_shape(value)
        except ShapeError as error:
            if error.too_deep:
                raise too_deep from None
            raise ValidationError(error.messages()) from None
    return value


def _may_exceed(text: str | bytes) -> bool:
    """Whether the text has enough brackets or commas to break a limit (most bodies do not,
    and are not walked)."""
    def count(char: str) -> int:
        return text.count(char.encode() if isinstance(text, bytes) else char)
    return (count("[") + count("{") > MAX_DEPTH
            or count(",") >= min(MAX_KEYS, MAX_ITEMS))


class JSONProvider(DefaultJSONProvider):
    """Request bodies read with ``request.get_json()`` get the limits; JSON read outside a
    request (a test client's responses) does not."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s) if has_request_context() else super().loads(s, **kwargs)


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

"""JSON request bodies with limits on their shape (``app.json_shape``), and numbers Python
can read.

Python's JSON decoder recurses once per nesting level, so a small body of ``[[[[…`` raises
RecursionError — a 500 — and a merely deep one makes every later step (validation, storing
params, Chroma filters) recurse as deep: bodies nested deeper than ``MAX_DEPTH`` levels are
a 400. An object with more than ``MAX_KEYS`` keys or a list with more than ``MAX_ITEMS`` items
is a 422 naming the field, before validation walks it. An integer literal longer than Python
converts (4300 digits by default: the decoder raises a plain ValueError, another 500),
``NaN`` or ``Infinity``, which Python reads but are not JSON, and a string with an unpaired
surrogate escape (``"\\ud800"``), which Redis and Chroma cannot encode, are a 400. All apply
whichever way the body is read: by flask-smorest's argument parser (:class:`Blueprint`) or by
``request.get_json()`` (:class:`JSONProvider`).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import flask_smorest
from flask import has_request_context
from flask.json.provider import DefaultJSONProvider
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from app.json_shape import MAX_DEPTH, MAX_ITEMS, MAX_KEYS, ShapeError, check_shape

# An escaped UTF-16 surrogate: fine in a pair (an emoji), not Unicode text alone
SURROGATE_ESCAPE = {str: re.compile(r"\\u[dD][89a-fA-F]"),
                    bytes: re.compile(rb"\\u[dD][89a-fA-F]")}


def _not_a_number(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON number", "(body)", 0)


def _lone_surrogate(text: str | bytes, value: Any) -> bool:
    """Whether a string of ``value`` (a key or a value) holds an unpaired surrogate, which
    Redis, Chroma and every encoder of UTF-8 refuse. Only bodies that escape one are
    re-encoded to find out."""
    if not SURROGATE_ESCAPE[type(text)].search(text):
        return False
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return True
    return False


def loads(text: str | bytes) -> Any:
    """``json.loads`` with the shape limits (too deep is a ``JSONDecodeError``, too many keys
    or items a marshmallow ``ValidationError`` at the field's path) that also refuses integers
    longer than Python converts (``sys.get_int_max_str_digits()``), the non-JSON constants
    ``NaN`` and ``Infinity`` and strings with a lone surrogate, with a JSONDecodeError."""
    too_deep = json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", "(body)", 0)
    try:
        value = json.loads(text, parse_constant=_not_a_number)
    except RecursionError:
        raise too_deep from None
    except json.JSONDecodeError:
        raise
    except ValueError:  # the only other one: an integer over the digits limit
        limit = sys.get_int_max_str_digits()
        raise json.JSONDecodeError(f"a number has more than {limit} digits", "(body)",
                                   0) from None
    if isinstance(value, dict | list) and _may_exceed(text):
        try:
            check_shape(value)
        except ShapeError as error:
            if error.too_deep:
                raise too_deep from None
            raise ValidationError(error.messages()) from None
    if _lone_surrogate(text, value):
        raise json.JSONDecodeError("a string holds a lone surrogate (\\ud800-\\udfff "
                                   "escapes must come in pairs)", "(body)", 0)
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

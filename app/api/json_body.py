"""JSON request bodies with a nesting limit, and numbers Python can read.

Python's JSON decoder recurses once per nesting level, so a small body of ``[[[[…`` raises
RecursionError — a 500 — and a merely deep one makes every later step (validation, storing
params, Chroma filters) recurse as deep. Bodies nested deeper than ``MAX_DEPTH`` levels are a
400 instead, whichever way the body is read: by flask-smorest's argument parser
(:class:`Blueprint`) or by ``request.get_json()`` (:class:`JSONProvider`). So is an integer
literal longer than Python converts (4300 digits by default: the decoder raises a plain
ValueError, another 500), ``NaN`` or ``Infinity``, which Python reads but are not JSON,
and a string with an unpaired surrogate escape (``"\\ud800"``), which Redis and Chroma
cannot encode.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import flask_smorest
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

MAX_DEPTH = 64
# An escaped UTF-16 surrogate: fine in a pair (an emoji), not Unicode text alone
SURROGATE_ESCAPE = {str: re.compile(r"\\u[dD][89a-fA-F]"),
                    bytes: re.compile(rb"\\u[dD][89a-fA-F]")}


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
    """``json.loads`` that refuses bodies nested deeper than MAX_DEPTH, integers longer than
    Python converts (``sys.get_int_max_str_digits()``), the non-JSON constants ``NaN`` and
    ``Infinity`` and strings with a lone surrogate, all with a JSONDecodeError (a
    ValueError)."""
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
    brackets = text.count(b"[" if isinstance(text, bytes) else "[") + text.count(
        b"{" if isinstance(text, bytes) else "{")
    if brackets > MAX_DEPTH and isinstance(value, dict | list) and nesting(value) > MAX_DEPTH:
        raise too_deep
    if _lone_surrogate(text, value):
        raise json.JSONDecodeError("a string holds a lone surrogate (\\ud800-\\udfff "
                                   "escapes must come in pairs)", "(body)", 0)
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

"""Paths into JSON values: where a stage's input comes from in an upstream result, and
where it goes in the stage's params.

A path is dotted keys with list indexes: ``value``, ``summary[0].text``, and ``[*]`` for
every element of a list (``summary[*].text`` is the list of every sentence's text). A
param path (where an input goes) takes keys and ``[N]`` but no ``[*]``.
"""

from __future__ import annotations

import re
from typing import Any

#: a key, or a list index / ``*`` in brackets
_TOKEN = re.compile(r"([A-Za-z0-9_\-]+)|\[(\d+|\*)\]")
WILDCARD = "*"
MAX_LENGTH = 500

Token = str | int


class PathError(ValueError):
    """A path that is malformed, or that does not lead anywhere in a value."""


def parse(path: str, wildcards: bool = True) -> list[Token]:
    """The tokens of ``path``: keys (str), indexes (int) and ``*``."""
    if not isinstance(path, str) or not path or len(path) > MAX_LENGTH:
        raise PathError(f"A path is 1 to {MAX_LENGTH} characters.")
    tokens: list[Token] = []
    at = 0
    while at < len(path):
        if tokens and path[at] == ".":
            at += 1
            match = _TOKEN.match(path, at)
            if not match or not match.group(1):
                raise PathError(f"Expected a key after '.' at character {at + 1} of "
                                f"'{path}'.")
        else:
            match = _TOKEN.match(path, at)
            if not match or (tokens and match.group(1)):
                raise PathError(f"Unexpected character at {at + 1} of '{path}' (paths "
                                "are keys joined by '.', with [N] or [*] after a key).")
        key, index = match.groups()
        if key is not None:
            tokens.append(key)
        elif index == WILDCARD:
            if not wildcards:
                raise PathError(f"'[*]' cannot be used here ('{path}').")
            tokens.append(WILDCARD)
        else:
            tokens.append(int(index))
        at = match.end()
    return tokens


def show(tokens: list[Token]) -> str:
    """A path as it is written."""
    out = ""
    for token in tokens:
        if isinstance(token, int):
            out += f"[{token}]"
        elif token == WILDCARD:
            out += "[*]"
        else:
            out += f".{token}" if out else token
    return out


def extract(value: Any, path: str) -> Any:
    """The part of ``value`` at ``path``; ``[*]`` maps the rest of the path over a list."""
    return _walk(value, parse(path), [])


def _walk(value: Any, tokens: list[Token], seen: list[Token]) -> Any:
    for i, token in enumerate(tokens):
        where = show(seen) or "the result"
        if token == WILDCARD:
            if not isinstance(value, list):
                raise PathError(f"{where} is not a list, so '[*]' does not apply.")
            return [_walk(item, tokens[i + 1:], [*seen, n]) for n, item in enumerate(value)]
        if isinstance(token, int):
            if not isinstance(value, list) or token >= len(value):
                raise PathError(f"{where} has no element [{token}].")
        elif not isinstance(value, dict) or token not in value:
            raise PathError(f"{where} has no key '{token}'.")
        value = value[token]
        seen = [*seen, token]
    return value


def assign(target: dict[str, Any], path: str, value: Any) -> None:
    """Put ``value`` at the param path ``path`` of ``target``, making the objects on the way
    (a list index must exist already)."""
    tokens = parse(path, wildcards=False)
    node: Any = target
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        nxt: Any = {} if last or not isinstance(tokens[i + 1], int) else None
        if isinstance(token, int):
            if not isinstance(node, list) or token >= len(node):
                raise PathError(f"{show(tokens[:i]) or 'params'} has no element [{token}].")
        elif not isinstance(node, dict):
            raise PathError(f"{show(tokens[:i])} is not an object.")
        elif not last and token not in node:
            if nxt is None:
                raise PathError(f"{show(tokens[:i + 1])} is not a list.")
            node[token] = nxt
        if last:
            node[token] = value
        else:
            node = node[token]

"""JSON given on the command line (a params file, an option's value), parsed so that a mistake
is reported as where it is — file, line and column, with the line itself — not as a traceback
from deep inside the json module."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (JSON has no NaN or Infinity)")


def parse_json(text: str, source: str) -> Any:
    """``text`` as JSON; a ``click.ClickException`` naming ``source``, the line, the column and
    what is wrong when it is not JSON."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        if not text.strip():
            raise click.ClickException(f"{source} is empty: expected a JSON object") from None
        raise click.ClickException(f"{source} is not valid JSON: line {exc.lineno}, column "
                                   f"{exc.colno}: {exc.msg}{_pointer(exc)}") from None
    except ValueError as exc:
        raise click.ClickException(f"{source}: {exc}") from None


def _pointer(exc: json.JSONDecodeError, around: int = 40) -> str:
    """The offending line (up to ``around`` characters either side) with a caret under the
    column, or nothing for a blank line."""
    lines = exc.doc.splitlines()
    line = lines[exc.lineno - 1].replace("\t", " ") if exc.lineno <= len(lines) else ""
    if not line.strip():
        return ""
    start = max(0, exc.colno - 1 - around)
    return f"\n  {line[start:exc.colno - 1 + around]}\n  {' ' * (exc.colno - 1 - start)}^"


def json_object(text: str, source: str) -> dict:
    """``text`` as a JSON object (what params, metadata and filters are)."""
    value = parse_json(text, source)
    if not isinstance(value, dict):
        raise click.ClickException(f"{source} must hold a JSON object ({{…}}), not "
                                   f"{_kind(value)}")
    return value


def read_params(path: Path) -> dict:
    """The params object in the file at ``path``, with a clear message when the file cannot
    be read or is not a JSON object."""
    return json_object(_read_text(path, "a params file holds JSON"), str(path))


def read_jsonl(path: Path) -> list[tuple[int, dict]]:
    """(line number, object) of each non-blank line of a JSON Lines file, with a clear
    message naming the line when one is not a JSON object."""
    text = _read_text(path, "a JSON Lines file holds one JSON object per line")
    found = [(number, json_object(line, f"{path}, line {number}"))
             for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not found:
        raise click.ClickException(f"{path} holds no jobs: expected one JSON object per line")
    return found


def _read_text(path: Path, holds: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path} is not UTF-8 text (byte {exc.start}): "
                                   f"{holds}") from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror or exc}") from None


def _kind(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")

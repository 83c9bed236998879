"""Locates the recorded OpenAI/Ollama wire-format fixtures the fake servers are built from.

``DIA3_SHARED_DIR`` names the shared folder; otherwise it is ``../shared`` next to the repo.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from tests.shared_fixtures import shared_dir


def llm_fixture_dir() -> Path:
    path = shared_dir() / "fixtures" / "llm"
    if not path.is_dir():
        raise FileNotFoundError(
            f"LLM wire-format fixtures not found at {path}; set DIA3_SHARED_DIR"
        )
    return path


@cache
def _load_text(relative: str) -> str:
    return (llm_fixture_dir() / relative).read_text(encoding="utf-8")


def fixture_text(relative: str) -> str:
    """A fixture file's text, e.g. ``openai/recorded_streams/chat_stream_text_stop.sse``."""
    return _load_text(relative)


def fixture_json(relative: str) -> Any:
    """A fresh (deep-copied) parsed JSON fixture, safe to modify."""
    return copy.deepcopy(_parsed(relative))


@cache
def _parsed(relative: str) -> Any:
    return json.loads(_load_text(relative))


def sse_events(relative: str) -> list[Any]:
    """The JSON payloads of an SSE fixture's ``data:`` lines (``[DONE]`` excluded)."""
    events = []
    for line in fixture_text(relative).splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            events.append(json.loads(line[len("data: ") :]))
    return copy.deepcopy(events)

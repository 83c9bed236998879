"""Celery messages sealed like everything else at rest.

A queued step's message sits in a Redis list (and, while a worker holds it, in the unacked
hash) with its arguments, which are a tenant's texts, series or documents; step results of
the smoke workflow sit in the result backend. With encryption at rest on, both are sealed by a
kombu serializer of their own (``dia3-sealed``: JSON, then sealed), so Redis holds no
plaintext of them either. Plain JSON stays accepted for messages sent before the switch.
"""

from __future__ import annotations

from typing import Any

from kombu.serialization import register
from kombu.utils.json import dumps, loads

NAME = "dia3-sealed"
CONTENT_TYPE = "application/x-dia3-sealed"
CONTEXT = "celery-message"


def _encode(value: Any) -> str:
    from app.extensions import envelope
    return envelope().seal_text(dumps(value), CONTEXT)


def _decode(body: str | bytes) -> Any:
    from app.extensions import envelope
    return loads(envelope().open_text(body, CONTEXT))


def install() -> None:
    """Make the serializer known to kombu (idempotent)."""
    register(NAME, _encode, _decode, content_type=CONTENT_TYPE, content_encoding="utf-8")


def serializer_config(sealed: bool) -> dict[str, Any]:
    """Celery's serializer settings with encryption at rest on or off."""
    if not sealed:
        return {"task_serializer": "json", "result_serializer": "json",
                "accept_content": ["json"], "result_accept_content": ["json"]}
    install()
    return {"task_serializer": NAME, "result_serializer": NAME,
            "accept_content": ["json", NAME], "result_accept_content": ["json", NAME]}

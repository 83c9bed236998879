"""Keeps API keys out of logs, reprs and exception messages.

A key is wrapped in :class:`Secret` as soon as it is read, and any provider text that
reaches our logs or errors goes through :func:`redact` first.
"""

from __future__ import annotations

import re
from pathlib import Path

from workers.llm.errors import LLMPermanentError

REDACTED = "***"

# Shapes of credentials that a provider or proxy might echo back in an error body.
_CREDENTIAL_PATTERNS = (
    re.compile(r"sk-[A-Za-z0-9_\-*]{6,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-~+/=*]{6,}"),
)


class Secret:
    """A string that never shows itself in ``str``, ``repr`` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The raw value; only for handing to an SDK."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple:
        # Pickling would put the key into Celery messages or result backends.
        raise TypeError("Secret values cannot be pickled")


def load_secret(value: str | None = None, file_path: str | Path | None = None) -> Secret | None:
    """A secret from a direct value or a mounted secret file (the value wins if both are set)."""
    if value:
        return Secret(value.strip())
    if file_path:
        try:
            text = Path(file_path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            # The path is configuration, not a secret, but the OS message is enough.
            raise LLMPermanentError(f"cannot read API key file: {exc.strerror}") from None
        if not text:
            raise LLMPermanentError("API key file is empty")
        return Secret(text)
    return None


def redact(text: str, *secrets: Secret | None) -> str:
    """``text`` with the given secrets and anything shaped like a credential masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret.reveal(), REDACTED)
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(
            lambda m: (m.group(1) if m.groups() else "") + REDACTED,
            text,
        )
    return text

"""Exceptions raised by the knowledge-base engine.

Every error carries a stable machine-readable ``code`` so the task layer can tell them apart
without inspecting messages; how the API answers each (status, body) is decided in
:mod:`app.error_table`, not here. ``to_dict()`` gives the JSON shape used in job results.
"""

from __future__ import annotations

from typing import Any


class KnowledgeError(Exception):
    """Base class of every error raised on purpose by this package."""

    code = "knowledge_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable description of the error."""
        return {"error": self.code, "message": self.message}


class InputError(KnowledgeError):
    """The caller sent something invalid; ``field`` is a dotted path to the culprit."""

    code = "invalid_input"

    def __init__(self, field: str, message: str, reason: str = "invalid") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = reason

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "field": self.field, "reason": self.reason}


class NotFound(KnowledgeError):
    """A collection or document does not exist (for this tenant)."""

    code = "not_found"


class Conflict(KnowledgeError):
    """The request contradicts existing state, e.g. creating a collection twice."""

    code = "conflict"


class EmbedderMismatch(Conflict):
    """A collection was built with one embedder and is being used with another.

    Vectors from different models live in different spaces, so mixing them silently
    returns nonsense; this error makes the mistake loud instead.
    """

    code = "embedder_mismatch"

    def __init__(self, collection: str, expected: str, got: str) -> None:
        super().__init__(
            f"collection {collection!r} was built with embedder {expected!r}; "
            f"it cannot be used with {got!r}"
        )
        self.expected = expected
        self.got = got

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "expected": self.expected, "got": self.got}


class TransientError(KnowledgeError):
    """A failure that may go away on its own; the task layer should retry with backoff.

    ``retry_after`` (seconds) is a hint when the cause knows how long to wait.
    """

    code = "transient"

    def __init__(self, message: str, reason: str = "transient",
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry_after = retry_after

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "reason": self.reason, "retry_after": self.retry_after}


class RateLimited(TransientError):
    """The shared quota is used up for now."""

    code = "rate_limited"

    def __init__(self, quota: str, retry_after: float) -> None:
        super().__init__(
            f"rate limit {quota!r} reached; retry in {retry_after:.2f}s",
            reason="rate_limited",
            retry_after=retry_after,
        )


class PermanentError(KnowledgeError):
    """A failure that retrying will not fix; ``reason`` says which one."""

    code = "permanent"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "reason": self.reason}


class NotInstalled(PermanentError):
    """Something this request needs is not installed here (the local embedder's model
    package): retrying will not help, installing it will; the message says how."""

    code = "not_installed"

"""Error taxonomy the task layer uses to decide between retrying, failing and reporting.

Every backend translates its provider's exceptions into these three classes, so callers
never need to know which SDK raised what. Messages are redacted before they get here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workers.llm.usage import UsageRecord


class LLMError(Exception):
    """Base class for every error raised by the LLM layer."""

    def __init__(
        self,
        message: str,
        *,
        backend: str | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.backend = backend
        self.status_code = status_code
        # What the failed call had already consumed (e.g. a first structured attempt), set
        # by the client so that spend is accounted even when the call fails.
        self.usage: UsageRecord | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, backend={self.backend!r}, "
            f"status_code={self.status_code!r})"
        )


class LLMTransientError(LLMError):
    """Worth retrying later: 429, 5xx, timeouts, connection failures, rate-limit waits too long.

    ``retry_after`` is the provider's (or rate limiter's) suggested wait in seconds, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        backend: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, backend=backend, status_code=status_code)
        self.retry_after = retry_after


class LLMPermanentError(LLMError):
    """Retrying cannot help: bad credentials, forbidden, bad request, unknown model, bad config."""


class LLMOutputError(LLMError):
    """The model's structured output stayed invalid after the one repair attempt."""

    def __init__(
        self,
        message: str,
        *,
        backend: str | None = None,
        problems: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, backend=backend)
        self.problems = problems

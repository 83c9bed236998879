"""Error classes steps raise, so the engine knows what to retry and what to report."""


class TransientError(Exception):
    """A temporary failure (rate limit, upstream 5xx, timeout): retried with backoff."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """A failure that retrying cannot fix; the job fails with this message."""


class JobCancelled(Exception):
    """Raised inside a step when its job was cancelled; the step stops quietly."""


class InputError(ValueError):
    """Bad input to an analysis engine; ``field`` is a dotted path (``series.0.values.3``)
    that the API turns into a field-level 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def to_dict(self) -> dict:
        return {"field": self.field, "message": self.message}

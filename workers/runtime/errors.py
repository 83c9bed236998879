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

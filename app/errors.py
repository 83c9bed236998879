"""Errors shared by the control plane and the engines.

They say what went wrong and nothing about how it is answered: :mod:`app.error_table` maps
each to its HTTP status and error body for the API, the audit log and MCP."""


class InputError(ValueError):
    """Bad input to an analysis engine; ``field`` is a dotted path (``series.0.values.3``)
    to the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def to_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


class Forbidden(Exception):
    """The caller's key may not do this (its role, or not an admin)."""


class Conflict(Exception):
    """The request contradicts the current state (HTTP 409), e.g. erasing one's own tenant."""


class Busy(Exception):
    """This process has no room for the request now (HTTP 503); retry after a while."""

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after


class NotReplicated(Exception):
    """Fewer Redis replicas than required acknowledged a write in time (HTTP 503): the write
    may not survive the loss of the primary, so it is not acknowledged either."""

    def __init__(self, acknowledged: int, required: int):
        super().__init__(f"{acknowledged} of {required} Redis replicas acknowledged the write")
        self.acknowledged = acknowledged
        self.required = required


class OverBudget(Exception):
    """The caller's rate limit has no room left for this part of a request (HTTP 429), e.g.
    the jobs of a bulk submission past its key's budget; retry after a while."""

    def __init__(self, message: str, limit: str, retry_after: float):
        super().__init__(message)
        self.limit, self.retry_after = limit, retry_after

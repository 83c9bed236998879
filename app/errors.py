"""Errors shared by the control plane and the engines.

An engine says what went wrong with its input (``field``, ``message``); the API, the audit
log and MCP turn it into a field-level 422."""


class InputError(ValueError):
    """Bad input to an analysis engine; ``field`` is a dotted path (``series.0.values.3``)
    that the API turns into a field-level 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def to_dict(self) -> dict:
        return {"field": self.field, "message": self.message}

"""Validation error raised for bad Monte Carlo input, carrying the offending field path."""


class MonteCarloInputError(ValueError):
    """Bad simulation input; `field` is a dotted path such as ``params.variables.price``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def to_dict(self) -> dict:
        return {"field": self.field, "message": self.message}

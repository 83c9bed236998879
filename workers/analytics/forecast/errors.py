"""Validation error raised for bad forecast input, carrying the offending field path."""


class ForecastInputError(ValueError):
    """Bad forecast input; `field` is a dotted path such as ``series.0.values`` for a 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def to_dict(self) -> dict:
        return {"field": self.field, "message": self.message}

"""Validation error raised for bad forecast input, carrying the offending field path."""

from app.errors import InputError


class ForecastInputError(InputError):
    """Bad forecast input; `field` is a dotted path such as ``series.0.values`` for a 422."""

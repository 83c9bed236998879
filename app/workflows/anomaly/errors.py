"""Validation error raised for bad anomaly-detection input, carrying the offending field."""

from app.errors import InputError


class AnomalyInputError(InputError):
    """Bad anomaly input; ``field`` is a dotted path such as ``series.0.values`` for a 422."""

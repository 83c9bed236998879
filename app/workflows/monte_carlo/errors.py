"""Validation error raised for bad Monte Carlo input, carrying the offending field path."""

from app.errors import InputError


class MonteCarloInputError(InputError):
    """Bad simulation input; `field` is a dotted path such as ``params.variables.price``."""

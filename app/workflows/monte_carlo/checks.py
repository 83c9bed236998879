"""Small typed readers for request dicts that raise MonteCarloInputError with field paths."""

from __future__ import annotations

import math
from typing import Any

from app.workflows.monte_carlo.errors import MonteCarloInputError

MISSING: Any = object()


def join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def get(data: dict, key: str, path: str, default: Any = MISSING) -> Any:
    if not isinstance(data, dict):
        raise MonteCarloInputError(path or "body", "must be an object")
    if key in data and data[key] is not None:
        return data[key]
    if default is MISSING:
        raise MonteCarloInputError(join(path, key), "is required")
    return default


def number(value: Any, field: str, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False) -> float:  # fmt: skip
    """A finite real within [lo, hi] (or (lo, hi] when lo_open)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MonteCarloInputError(field, "must be a number")
    value = finite(value, field)
    if lo is not None and (value <= lo if lo_open else value < lo):
        raise MonteCarloInputError(field, f"must be {'>' if lo_open else '>='} {lo:g}")
    if hi is not None and value > hi:
        raise MonteCarloInputError(field, f"must be <= {hi:g}")
    return value


def finite(value: int | float, field: str) -> float:
    """``value`` as a finite float: an integer beyond float64 (about 1.8e308) is refused
    rather than raising OverflowError."""
    try:
        value = float(value)
    except OverflowError:
        raise MonteCarloInputError(field, "is too large (at most about 1.8e308)") from None
    if not math.isfinite(value):
        raise MonteCarloInputError(field, "must be finite")
    return value


def integer(value: Any, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MonteCarloInputError(field, "must be an integer")
    if not lo <= value <= hi:
        raise MonteCarloInputError(field, f"must be between {lo} and {hi}")
    return int(value)


def boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise MonteCarloInputError(field, "must be true or false")
    return value


def numbers(value: Any, field: str, min_len: int = 0, max_len: int = 10_000_000,
            lo: float | None = None, hi: float | None = None, lo_open: bool = False,
            ) -> list[float]:  # fmt: skip
    if not isinstance(value, list | tuple):
        raise MonteCarloInputError(field, "must be a list of numbers")
    if not min_len <= len(value) <= max_len:
        raise MonteCarloInputError(field, f"must have between {min_len} and {max_len} items")
    return [number(v, join(field, i), lo, hi, lo_open) for i, v in enumerate(value)]


def choice(value: Any, field: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise MonteCarloInputError(field, f"must be one of {', '.join(options)}")
    return value

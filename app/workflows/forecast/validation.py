"""Validate one series spec and normalise it (all defaults filled, JSON-serialisable).

Fields: ``values`` (numbers or null for missing), optional ``timestamps`` (ISO strings, one
per value, strictly increasing) or ``frequency`` (pandas alias such as ``M``, ``D``, ``W``),
``horizon``, optional ``season_length``, ``model``, ``transform`` (``auto``/``log``/``none``),
``levels`` (interval levels in percent), ``backtest_origins`` and ``seasonal_periods``
(the periods of long or multiple seasons, e.g. [24, 168] or [52.18]). Errors name the field,
e.g. ``series.0.values.3``.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from app.workflows.forecast.errors import ForecastInputError

MODELS = ("auto", "ets", "theta", "arima", "naive", "seasonal_naive", "combination", "mstl",
          "mstl_theta", "fourier", "fourier_theta")
TRANSFORMS = ("auto", "log", "none")

MAX_VALUES = 100_000
MAX_HORIZON = 1_000
MAX_LEVELS = 10
MAX_PERIODS = 4
MAX_MISSING_FRACTION = 0.5
MAX_MAGNITUDE = 1e100  # squares of values must stay finite in float64
DEFAULT_LEVELS = [80.0, 95.0]
MAX_CELLS = 5_000_000  # scenario paths * horizon held in memory at once
_LEGACY_ALIASES = {"M": "MS", "Q": "QS", "Y": "YS", "A": "YS", "H": "h"}  # old pandas names
# Pandas offset aliases (checked here without pandas, which the API process does not load;
# a test compares this grammar with pandas itself).
_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_FREQUENCY = re.compile(
    r"^(?:[1-9]\d{0,5})?(?:"
    r"(?:B|C|D|ME|SME|BME|CBME|MS|SMS|BMS|CBMS|h|bh|cbh|min|s|ms|us|ns)"
    r"|W(?:-(?:MON|TUE|WED|THU|FRI|SAT|SUN))?"
    rf"|(?:QE|BQE|QS|BQS|YE|BYE|YS|BYS)(?:-(?:{_MONTHS}))?"
    r")$")
_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def _int(spec: dict, key: str, path: str, lo: int, hi: int, default: Any) -> Any:
    value = spec.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ForecastInputError(_join(path, key), f"must be an integer between {lo} and {hi}")
    return value


def _values(raw: Any, field: str) -> list[float | None]:
    if not isinstance(raw, list | tuple):
        raise ForecastInputError(field, "must be a list of numbers (null for missing)")
    if len(raw) > MAX_VALUES:
        raise ForecastInputError(field, f"must have at most {MAX_VALUES} values")
    out: list[float | None] = []
    for i, v in enumerate(raw):
        if v is None:
            out.append(None)
            continue
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ForecastInputError(_join(field, i), "must be a number or null")
        if not math.isfinite(v):
            raise ForecastInputError(_join(field, i), "must be finite (use null for missing)")
        if abs(v) > MAX_MAGNITUDE:
            raise ForecastInputError(_join(field, i), f"must be within ±{MAX_MAGNITUDE:g}")
        out.append(float(v))
    observed = sum(v is not None for v in out)
    if observed < 2:
        raise ForecastInputError(field, "needs at least 2 observed (non-null) values")
    if len(out) - observed > MAX_MISSING_FRACTION * len(out):
        raise ForecastInputError(field, "more than half of the values are missing")
    return out


def _timestamps(raw: Any, n: int, field: str) -> list[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list | tuple) or len(raw) != n:
        raise ForecastInputError(field, f"must be a list of {n} timestamps (one per value)")
    parsed = [_timestamp(value, i, field) for i, value in enumerate(raw)]
    if len({ts.tzinfo is None for ts in parsed}) > 1:
        raise ForecastInputError(field, "timestamps must all have a time zone or none")
    if any(later <= earlier for earlier, later in zip(parsed, parsed[1:])):
        raise ForecastInputError(field, "timestamps must be strictly increasing")
    return [ts.isoformat() for ts in parsed]


def _timestamp(raw: Any, index: int, field: str) -> datetime:
    if raw is None:
        raise ForecastInputError(field, "timestamps must not be null")
    if not isinstance(raw, str):
        raise ForecastInputError(field, f"timestamp {index} must be an ISO 8601 string")
    text = raw.strip()
    try:
        return datetime.fromisoformat(f"{text}-01" if _YEAR_MONTH.match(text) else text)
    except ValueError:
        raise ForecastInputError(field, f"could not parse timestamp {index} ({raw!r}; ISO 8601, "
                                 "e.g. 2024-01-31 or 2024-01-31T12:00:00Z)") from None


def _frequency(raw: Any, field: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ForecastInputError(field, "must be a pandas frequency alias such as 'M' or 'D'")
    for alias in (raw, _LEGACY_ALIASES.get(raw)):
        if alias is not None and _FREQUENCY.match(alias):
            return alias
    raise ForecastInputError(field, f"unknown frequency {raw!r}")


def _levels(raw: Any, field: str) -> list[float]:
    if raw is None:
        return list(DEFAULT_LEVELS)
    if not isinstance(raw, list | tuple) or not 0 <= len(raw) <= MAX_LEVELS:
        raise ForecastInputError(field, f"must be a list of at most {MAX_LEVELS} percentages")
    out = []
    for i, v in enumerate(raw):
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < 100:
            raise ForecastInputError(_join(field, i), "must be a number strictly between 0 and 100")
        out.append(float(v))
    return sorted(set(out))


def _periods(raw: Any, n: int, field: str) -> list[float] | None:
    """Up to MAX_PERIODS distinct periods, each above 1 and with two full cycles in the data."""
    if raw is None:
        return None
    if not isinstance(raw, list | tuple) or not 1 <= len(raw) <= MAX_PERIODS:
        raise ForecastInputError(field, f"must be a list of 1 to {MAX_PERIODS} periods")
    out = []
    for i, v in enumerate(raw):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ForecastInputError(_join(field, i), "must be a number")
        if not 1 < v <= n / 2:
            raise ForecastInputError(_join(field, i), f"must be above 1 and at most {n / 2:g} "
                                     "(half the number of values: two full cycles)")
        out.append(float(v))
    if len(set(out)) != len(out):
        raise ForecastInputError(field, "must not repeat a period")
    return sorted(out)


def validate_series(spec: Any, path: str = "") -> dict:
    """Check one series spec; returns the normalised spec or raises ForecastInputError."""
    if not isinstance(spec, dict):
        raise ForecastInputError(path or "series", "must be an object")
    if "values" not in spec:
        raise ForecastInputError(_join(path, "values"), "is required")
    values = _values(spec["values"], _join(path, "values"))
    if "horizon" not in spec:
        raise ForecastInputError(_join(path, "horizon"), "is required")
    model = spec.get("model", "auto")
    if model not in MODELS:
        raise ForecastInputError(_join(path, "model"), f"must be one of {', '.join(MODELS)}")
    season = _int(spec, "season_length", path, 1, max(1, len(values)), None)
    periods = _periods(spec.get("seasonal_periods"), len(values), _join(path, "seasonal_periods"))
    if season is None and periods:
        season = max(2, round(periods[0]))
    transform = spec.get("transform", "auto")
    if transform not in TRANSFORMS:
        options = ", ".join(TRANSFORMS)
        raise ForecastInputError(_join(path, "transform"), f"must be one of {options}")
    return {
        "values": values,
        "timestamps": _timestamps(spec.get("timestamps"), len(values), _join(path, "timestamps")),
        "frequency": _frequency(spec.get("frequency"), _join(path, "frequency")),
        "horizon": _int(spec, "horizon", path, 1, MAX_HORIZON, None),
        "season_length": season,
        "model": model,
        "transform": transform,
        "levels": _levels(spec.get("levels"), _join(path, "levels")),
        "backtest_origins": _int(spec, "backtest_origins", path, 0, 20, 3),
        "seasonal_periods": periods,
    }

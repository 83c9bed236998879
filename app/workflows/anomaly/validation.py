"""Validate one series of an ``anomaly`` job and normalise it (defaults filled in,
JSON-serialisable). Shared by the params schema (a 422 names the field) and the engine.

Fields: ``values`` (numbers, null for missing), optional ``timestamps`` (ISO 8601, one per
value, strictly increasing), ``mode`` (``batch``: the whole series is known; ``streaming``:
each point is judged from the points before it only), optional ``season_length`` and
``sensitivity`` (0 to 1, default 0.5: higher finds more anomalies).
"""

from __future__ import annotations

import math
from typing import Any

from app.workflows.anomaly.errors import AnomalyInputError
from app.workflows.forecast.errors import ForecastInputError
from app.workflows.forecast.validation import MAX_MAGNITUDE, MAX_MISSING_FRACTION, _timestamps

MODES = ("batch", "streaming")
MAX_SERIES = 2_000
MAX_VALUES = 100_000
MIN_OBSERVED = 8
MAX_SEASON = 10_000
DEFAULT_MODE = "batch"
DEFAULT_SENSITIVITY = 0.5


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def _values(raw: Any, field: str) -> list[float | None]:
    if not isinstance(raw, list | tuple):
        raise AnomalyInputError(field, "must be a list of numbers (null for missing)")
    if len(raw) > MAX_VALUES:
        raise AnomalyInputError(field, f"must have at most {MAX_VALUES} values")
    out: list[float | None] = []
    for i, v in enumerate(raw):
        if v is None:
            out.append(None)
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise AnomalyInputError(_join(field, i), "must be a finite number or null")
        if abs(v) > MAX_MAGNITUDE:
            raise AnomalyInputError(_join(field, i), f"must be within ±{MAX_MAGNITUDE:g}")
        out.append(float(v))
    observed = sum(v is not None for v in out)
    if observed < MIN_OBSERVED:
        raise AnomalyInputError(field, f"needs at least {MIN_OBSERVED} observed (non-null) "
                                       "values")
    if len(out) - observed > MAX_MISSING_FRACTION * len(out):
        raise AnomalyInputError(field, "more than half of the values are missing")
    return out


def _season(raw: Any, n: int, field: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 2 <= raw <= MAX_SEASON:
        raise AnomalyInputError(field, f"must be an integer between 2 and {MAX_SEASON}")
    if raw > n // 2:
        raise AnomalyInputError(field, f"must be at most half the number of values ({n // 2})"
                                       ", so that two seasons are observed")
    return raw


def _sensitivity(raw: Any, field: str) -> float:
    if raw is None:
        return DEFAULT_SENSITIVITY
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 1:
        raise AnomalyInputError(field, "must be a number between 0 and 1")
    return float(raw)


def validate_series(spec: Any, path: str = "") -> dict:
    """Check one series spec; returns the normalised spec or raises AnomalyInputError."""
    if not isinstance(spec, dict):
        raise AnomalyInputError(path or "series", "must be an object")
    if "values" not in spec:
        raise AnomalyInputError(_join(path, "values"), "is required")
    values = _values(spec["values"], _join(path, "values"))
    mode = spec.get("mode") or DEFAULT_MODE
    if mode not in MODES:
        raise AnomalyInputError(_join(path, "mode"), f"must be one of {', '.join(MODES)}")
    try:
        timestamps = _timestamps(spec.get("timestamps"), len(values),
                                 _join(path, "timestamps"))
    except ForecastInputError as exc:  # the same rules as forecast's, under this workflow
        raise AnomalyInputError(exc.field, exc.message) from None
    return {
        "values": values,
        "timestamps": timestamps,
        "mode": mode,
        "season_length": _season(spec.get("season_length"), len(values),
                                 _join(path, "season_length")),
        "sensitivity": _sensitivity(spec.get("sensitivity"), _join(path, "sensitivity")),
    }

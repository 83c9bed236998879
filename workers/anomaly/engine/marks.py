"""Anomalies in a series another workflow made, for its charts to mark: the sentiment trend
of a document stream or of a video transcript, and the residuals of a forecast's fit.

The batch detector at the anomaly workflow's default sensitivity. Too short a series gives
none (a handful of points cannot tell a spike from the spread), and a very long one is looked
at over its most recent points only, so the marks never cost more than the result they
decorate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from workers.anomaly.engine.engine import detect_series

MIN_POINTS = 12  # observed points below which no anomaly is reported
MAX_POINTS = 20_000  # the most recent points looked at
DEFAULT_SENSITIVITY = 0.5


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def series_anomalies(values: Sequence[float | None], timestamps: Sequence[Any] | None = None,
                     sensitivity: float = DEFAULT_SENSITIVITY) -> list[dict]:
    """Anomalies (``index`` into ``values``, ``timestamp`` when given, ``score``, ``kind``)
    of a series whose missing points are None; [] for fewer than :data:`MIN_POINTS`."""
    offset = max(0, len(values) - MAX_POINTS)
    window = [float(v) if _number(v) else None for v in values[offset:]]
    if sum(v is not None for v in window) < MIN_POINTS:
        return []
    stamps = list(timestamps[offset:]) if timestamps else None
    found = detect_series({"values": window, "timestamps": stamps, "mode": "batch",
                           "season_length": None, "sensitivity": sensitivity})
    return [{**a, "index": a["index"] + offset} for a in found["anomalies"]]


def residual_anomalies(observed: Sequence[float | None], fitted: Sequence[float | None],
                       timestamps: Sequence[Any] | None = None) -> list[dict]:
    """Anomalies of observed minus fitted, indexed like ``observed``: a point the model
    could not explain. Positions missing from either are left out."""
    residuals = [o - f if _number(o) and _number(f) else None
                 for o, f in zip(observed, fitted, strict=False)]
    stamps = list(timestamps[:len(residuals)]) if timestamps else None
    return series_anomalies(residuals, stamps)

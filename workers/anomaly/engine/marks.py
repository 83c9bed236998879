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

import numpy as np

from workers.anomaly.engine.engine import detect_series

MIN_POINTS = 12  # observed points below which no anomaly is reported
MAX_POINTS = 20_000  # the most recent points looked at
DEFAULT_SENSITIVITY = 0.5
#: the least a sentiment trend's mean must stand out by (compound score): the width of the
#: neutral band's edge, below which a reader sees no difference in mood
SENTIMENT_MATERIAL = 0.05


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def series_anomalies(values: Sequence[float | None], timestamps: Sequence[Any] | None = None,
                     sensitivity: float = DEFAULT_SENSITIVITY, material: float = 0.0
                     ) -> list[dict]:
    """Anomalies (``index`` into ``values``, ``timestamp`` when given, ``score``, ``kind``)
    of a series whose missing points are None; [] for fewer than :data:`MIN_POINTS`.

    The detector is scale-free: on a series that barely moves it still finds the point that
    moves most. ``material`` (in the series' units) is the least a spike must differ from the
    median, or a change move the median or spread, to be worth a mark."""
    offset = max(0, len(values) - MAX_POINTS)
    window = [float(v) if _number(v) else None for v in values[offset:]]
    observed = [v for v in window if v is not None]
    if len(observed) < MIN_POINTS:
        return []
    stamps = list(timestamps[offset:]) if timestamps else None
    found = detect_series({"values": window, "timestamps": stamps, "mode": "batch",
                           "season_length": None, "sensitivity": sensitivity})
    middle = float(np.median(observed))
    spikes = {a["index"] for a in found["anomalies"] if a["kind"] == "spike"}
    moves = {c["index"]: _move(window, c, spikes) for c in found["change_points"]}

    def kept(a: dict) -> bool:
        if a["kind"] == "spike":
            return abs(window[a["index"]] - middle) >= material
        return moves.get(a["index"], math.inf) >= material

    return [{**a, "index": a["index"] + offset} for a in found["anomalies"] if kept(a)]


def _move(window: list[float | None], change: dict, spikes: set[int]) -> float:
    """How far a change point moved the median or the spread of the observed values of the
    segments on either side, its spikes left out: a short segment that differs only by the
    spike in it (binary segmentation can cut one out of a short series) moved nothing."""
    positions = [i for i, v in enumerate(window) if v is not None]
    at = positions.index(change["index"])
    sides = (positions[at - change["before"]["count"]:at],
             positions[at:at + change["after"]["count"]])
    before, after = (np.array([window[i] for i in side if i not in spikes]) for side in sides)
    if len(before) == 0 or len(after) == 0:
        return 0.0
    return float(max(abs(np.median(after) - np.median(before)),
                     abs(after.std() - before.std())))


def residual_anomalies(observed: Sequence[float | None], fitted: Sequence[float | None],
                       timestamps: Sequence[Any] | None = None, warm_up: int = 0
                       ) -> list[dict]:
    """Anomalies of observed minus fitted, indexed like ``observed``: a point the model
    could not explain. Positions missing from either are left out, and so are the first
    ``warm_up`` fitted ones: they come from the model's initial state, so their residuals
    are near zero by construction and would stand out from the rest."""
    residuals = [o - f if i >= warm_up and _number(o) and _number(f) else None
                 for i, (o, f) in enumerate(zip(observed, fitted, strict=False))]
    stamps = list(timestamps[:len(residuals)]) if timestamps else None
    return series_anomalies(residuals, stamps, material=typical_step(observed))


def typical_step(values: Sequence[float | None]) -> float:
    """The median absolute change between neighbouring observed values: a residual smaller
    than the series' usual step from one point to the next is no surprise."""
    observed = np.array([v for v in values if _number(v)], dtype=float)
    return float(np.median(np.abs(np.diff(observed)))) if len(observed) > 1 else 0.0

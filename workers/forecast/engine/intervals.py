"""Prediction intervals calibrated on rolling-origin errors, and the ensemble of candidates.

The models' own intervals assume their error model is right; on hourly and weekly data it
is not (the seasonal part is treated as known, parameters as exact), and 95% intervals
covered far less than 95%. ``auto`` has, from its validation windows, the errors its chosen
model made at every step of the job's horizon after being refitted on the data before each
origin. Each error is divided by the distance from the point forecast to the model's 95%
bound on its side (``cv.standardised_errors``); the level-quantile of those ratios (the
conformal rank ⌈(n+1)·level⌉ of n) rescales the model's interval at that level. Its widths
keep their shape over the horizon and their asymmetry (log scale); only their scale is
learned. The factor is kept within [``MIN_FACTOR``, ``MAX_FACTOR``]: a handful of windows
can look calmer than the future (narrowing intervals below the model's own cost 6 points of
coverage on M4 Weekly), and a guard against one wild window.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import norm

from workers.forecast.engine.cv import COMBINE, combine

MIN_FACTOR = 1.0
MAX_FACTOR = 5.0
MIN_ERRORS = 8  # fewer pooled errors than this: the model's own intervals are kept


def conformal_quantile(ratios: np.ndarray, level: float) -> float:
    n = ratios.size
    rank = math.ceil((n + 1) * level / 100)
    if rank > n:
        return float(ratios.max())
    return float(np.sort(ratios)[rank - 1])


class CalibratedModel:
    """A fitted model (``SeriesModel`` or ``EnsembleModel``) whose interval widths are
    rescaled per level by its standardised validation errors."""

    def __init__(self, model: Any, ratios: np.ndarray, reference: float = 95.0) -> None:
        self.model = model
        self.ratios = ratios
        self.reference = reference

    def factor(self, level: float) -> float:
        """Width factor for ``level``: the ratio quantile, converted from the reference
        level's width to this level's (normal quantiles)."""
        z_ref, z = norm.ppf(0.5 + self.reference / 200), norm.ppf(0.5 + level / 200)
        raw = conformal_quantile(self.ratios, level) * z_ref / z
        return float(np.clip(raw, MIN_FACTOR, MAX_FACTOR))

    def point(self, h: int) -> np.ndarray:
        return self.model.point(h)

    def fitted(self) -> np.ndarray:
        return self.model.fitted()

    def interval(self, h: int, level: float) -> tuple[np.ndarray, np.ndarray]:
        centre = self.model.point(h)
        lower, upper = self.model.interval(h, level)
        c = self.factor(level)
        return centre - c * (centre - lower), centre + c * (upper - centre)

    def simulate(self, h: int, n_paths: int, rng: np.random.Generator,
                 bootstrap: bool = True) -> np.ndarray:  # fmt: skip
        """The model's paths, spread around its point forecast by the 95% factor."""
        centre = self.model.point(h)
        paths = self.model.simulate(h, n_paths, rng, bootstrap)
        return centre + self.factor(self.reference) * (paths - centre)

    def refit(self, y: np.ndarray) -> Any:
        return self.model.refit(y)

    def describe(self) -> dict:
        return {**self.model.describe(), "interval_calibration": {
            "method": "rolling-origin errors", "errors": int(self.ratios.size),
            "factor_95": self.factor(95.0)}}  # fmt: skip


def calibrated(model: Any, ratios: np.ndarray) -> Any:
    """``model`` with calibrated intervals when there are enough validation errors."""
    return CalibratedModel(model, ratios) if ratios.size >= MIN_ERRORS else model


class EnsembleModel:
    """Mean (``cv.COMBINE``) of several fitted models' point forecasts. Interval bounds sit at
    the members' mean distances from their own points; paths are the first (best) member's,
    shifted to the ensemble's point forecast."""

    def __init__(self, members: list[Any], names: list[str]) -> None:
        self.members, self.names = members, names

    def point(self, h: int) -> np.ndarray:
        return combine([m.point(h) for m in self.members])

    def fitted(self) -> np.ndarray:
        return np.mean([m.fitted() for m in self.members], axis=0)

    def interval(self, h: int, level: float) -> tuple[np.ndarray, np.ndarray]:
        centre = self.point(h)
        below, above = [], []
        for m in self.members:
            point = m.point(h)
            lower, upper = m.interval(h, level)
            below.append(point - lower)
            above.append(upper - point)
        return centre - np.mean(below, axis=0), centre + np.mean(above, axis=0)

    def simulate(self, h: int, n_paths: int, rng: np.random.Generator,
                 bootstrap: bool = True) -> np.ndarray:  # fmt: skip
        best = self.members[0]
        return best.simulate(h, n_paths, rng, bootstrap) + (self.point(h) - best.point(h))

    def refit(self, y: np.ndarray) -> EnsembleModel:
        return EnsembleModel([m.refit(y) for m in self.members], self.names)

    def describe(self) -> dict:
        """Members' details; transform and seasonal adjustment at the top when the members
        share them (``per member`` otherwise: a transform of ``per member``, an adjustment of
        kind ``per member``)."""
        details = [m.describe() for m in self.members]
        shared = {}
        for key, mixed in (("transform", "per member"),
                           ("seasonal_adjustment", {"kind": "per member"})):
            values = [d[key] for d in details]
            shared[key] = values[0] if all(v == values[0] for v in values) else mixed
        return {"name": "ensemble", "params": {"combine": COMBINE, "members": [
            {"candidate": n, **d} for n, d in zip(self.names, details, strict=True)]},
                **shared}  # fmt: skip

"""Forecast accuracy metrics.

``smape`` defaults to the M3 competition definition (200·|A−F|/(A+F), averaged pointwise) so
benchmark numbers compare with the published tables. ``variant="abs"`` uses |A|+|F| in the
denominator (the M4 form), which stays within [0, 200] for negative data. Points where both
actual and forecast are zero count as a perfect forecast (0); in the M3 form a zero
denominator with a non-zero error gives inf (that form is meant for positive data).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ArrayLike = Sequence[float] | np.ndarray


def smape(actual: ArrayLike, forecast: ArrayLike, variant: str = "m3") -> float:
    """Symmetric MAPE in percent; ``variant`` is ``"m3"`` (A+F) or ``"abs"`` (|A|+|F|)."""
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if a.shape != f.shape or a.size == 0:
        raise ValueError("actual and forecast must be non-empty and of equal length")
    if variant == "m3":
        denom = a + f
    elif variant == "abs":
        denom = np.abs(a) + np.abs(f)
    else:
        raise ValueError(f"unknown sMAPE variant {variant!r}")
    diff = np.abs(a - f)
    safe = np.where(denom == 0, 1.0, denom)
    terms = np.where(denom == 0, np.where(diff == 0, 0.0, np.inf), 200.0 * diff / safe)
    return float(np.mean(terms))


def mase_scale(insample: ArrayLike, season_length: int = 1) -> float:
    """Mean absolute seasonal-naive in-sample error; falls back to lag 1 for short data."""
    x = np.asarray(insample, dtype=float)
    m = season_length if x.size > season_length else 1
    if x.size <= m:
        return float("nan")
    return float(np.mean(np.abs(x[m:] - x[:-m])))


def mase(
    actual: ArrayLike, forecast: ArrayLike, insample: ArrayLike, season_length: int = 1
) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006); NaN when the scale is zero."""
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if a.shape != f.shape or a.size == 0:
        raise ValueError("actual and forecast must be non-empty and of equal length")
    scale = mase_scale(insample, season_length)
    if not np.isfinite(scale) or scale == 0:
        return float("nan")
    return float(np.mean(np.abs(a - f)) / scale)


def msis(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike, insample: ArrayLike,
         season_length: int = 1, level: float = 95.0) -> float:
    """Mean scaled interval score (M4): the interval's width plus 2/α times how far the actual
    value falls outside it, averaged over the horizon and scaled like MASE; NaN when the
    scale is zero."""
    a, lo, up = (np.asarray(v, dtype=float) for v in (actual, lower, upper))
    if not a.shape == lo.shape == up.shape or a.size == 0:
        raise ValueError("actual and bounds must be non-empty and of equal length")
    alpha = 1 - level / 100
    score = (up - lo) + 2 / alpha * (np.maximum(lo - a, 0) + np.maximum(a - up, 0))
    scale = mase_scale(insample, season_length)
    if not np.isfinite(scale) or scale == 0:
        return float("nan")
    return float(np.mean(score) / scale)


def coverage(actual: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Share of actual values inside [lower, upper]."""
    a, lo, up = (np.asarray(v, dtype=float) for v in (actual, lower, upper))
    return float(np.mean((a >= lo) & (a <= up)))

"""Batch mode: the whole series is known. The seasonal part (median by phase) is removed,
change points are found by binary segmentation of what is left, and spikes are the residuals
from each segment's median that a robust generalised ESD test (Rosner's critical values on
median/MAD z-scores, as in Twitter's seasonal hybrid ESD) declares outliers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workers.anomaly.engine.changepoints import binary_segmentation
from workers.anomaly.engine.robust import MAD_SCALE, MEAN_AD_SCALE, score_from_z, t_quantile
from workers.anomaly.engine.seasonal import detect_season, rolling_median, seasonal_component

MAX_SPIKE_FRACTION = 0.05  # the ESD test looks at most at this share of the points


@dataclass
class BatchOutput:
    scores: np.ndarray
    season_length: int | None
    spikes: list[int]
    change_points: list[int]
    z: np.ndarray


def alpha_for(sensitivity: float) -> float:
    """The ESD test's significance level: 1e-5 at sensitivity 0, 1e-3 at 0.5, 0.1 at 1."""
    return float(10.0 ** (-5.0 + 4.0 * sensitivity))


def penalty_for(sensitivity: float, n: int) -> float:
    """Cost drop a change point must bring: 12·log n at sensitivity 0, 6·log n at 0.5 (about
    three times BIC, since real series are autocorrelated), 2·log n at 1."""
    factor = 12.0 - 12.0 * sensitivity if sensitivity <= 0.5 else 6.0 - 8.0 * (sensitivity - 0.5)
    return factor * np.log(max(n, 2))


def robust_scale(values: np.ndarray) -> float:
    """MAD, or the mean absolute deviation where most values are equal (MAD 0)."""
    deviations = np.abs(values - np.median(values))
    return float(max(MAD_SCALE * np.median(deviations), MEAN_AD_SCALE * deviations.mean(),
                     1e-9 * (abs(float(np.median(values))) + 1.0)))


def detect_batch(values: np.ndarray, season_length: int | None,
                 sensitivity: float) -> BatchOutput:
    """Scores, spikes and change points of a series without missing values. The season is
    estimated twice: around a rolling median first, then around the segments' medians once
    the change points are known (a level shift biases the rolling median near it)."""
    n = len(values)
    season = season_length or detect_season(values)
    if not season or n < 2 * season:
        season = None
    min_size = max(8, season or 0, n // 200)
    seasonal = seasonal_component(values, season) if season else np.zeros(n)
    change_points = binary_segmentation(_clipped(values - seasonal, min_size),
                                        penalty_for(sensitivity, n), min_size)
    bounds = list(zip([0, *change_points], [*change_points, n], strict=True))
    if season:
        levels = np.concatenate([np.full(b - a, np.median(values[a:b] - seasonal[a:b]))
                                 for a, b in bounds])
        seasonal = seasonal_component(values, season, levels)
    adjusted = values - seasonal
    z = np.zeros(n)
    for start, end in bounds:
        segment = adjusted[start:end]
        z[start:end] = (segment - np.median(segment)) / robust_scale(segment)
    spikes = robust_esd(z, alpha_for(sensitivity))
    return BatchOutput(score_from_z(z), season, spikes, change_points, z)


def _clipped(y: np.ndarray, min_size: int) -> np.ndarray:
    """``y`` with values further than 4 robust deviations from their rolling median pulled
    in to that bound, so that a spike does not pass for a change of variance."""
    level = rolling_median(y, 2 * min_size + 1)
    bound = 4.0 * robust_scale(y - level)
    return level + np.clip(y - level, -bound, bound)


def robust_esd(z: np.ndarray, alpha: float) -> list[int]:
    """Generalised ESD on robust z-scores: the largest k with |z|_(k) above Rosner's critical
    value λ_k, for k up to :data:`MAX_SPIKE_FRACTION` of the points. The median and MAD are
    not recomputed after each removal (they barely move when a few percent of the points
    go), which makes the test one sort instead of k passes."""
    n = len(z)
    limit = max(1, int(MAX_SPIKE_FRACTION * n))
    order = np.argsort(-np.abs(z))[:limit]
    count = 0
    for k in range(1, min(limit, n - 2) + 1):
        if abs(z[order[k - 1]]) < 1.5:  # below every critical value from 8 points on
            break
        dof = n - k - 1
        p = 1.0 - alpha / (2.0 * (n - k + 1))
        t = t_quantile(p, dof)
        critical = (n - k) * t / np.sqrt((dof + t * t) * (n - k + 1))
        if abs(z[order[k - 1]]) > critical:
            count = k
    return sorted(int(i) for i in order[:count])

"""NAB's Windowed Gaussian detector, the baseline of the anomaly benchmark: the tail
probability of each value under the mean and standard deviation of a window of past values
(the first 6,400 values, then the last 6,400 moved forward 100 values at a time)."""

from __future__ import annotations

import numpy as np

from workers.anomaly.engine.robust import log_erfc

WINDOW, STEP = 6400, 100
SATURATED = 16.0  # -log10 of the smallest tail 1 - Q keeps apart from 1.0 in float64


def windowed_gaussian(values: np.ndarray) -> np.ndarray:
    """1 − Q(|z|) per point, as NAB's detector computes it (a point is scored before it
    joins the window; a zero spread counts as 1e-6, as NAB's does). Returned as −log10 Q
    over 16 (where 1 − Q reaches 1.0 in float64), clipped to 1, so that a threshold sweep
    can tell apart scores that 1 − Q rounds together; the order of the scores, and so the
    alarms at each threshold, is the same."""
    n = len(values)
    i = np.arange(n)
    start = np.where(i <= WINDOW, 0, ((i - WINDOW) // STEP) * STEP)
    end = np.where(i <= WINDOW, i, start + WINDOW)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    squares = np.concatenate([[0.0], np.cumsum(values * values)])
    count = np.maximum(end - start, 1)
    mean = (cumulative[end] - cumulative[start]) / count
    std = np.sqrt(np.maximum((squares[end] - squares[start]) / count - mean * mean, 0.0))
    z = np.abs(values - mean) / np.where(std == 0.0, 1e-6, std)
    tail = -(log_erfc(z / np.sqrt(2.0)) - np.log(2.0)) / np.log(10.0)
    score = np.clip(tail / SATURATED, 0.0, 1.0)
    score[0] = 0.0
    return score

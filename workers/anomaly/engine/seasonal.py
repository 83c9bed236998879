"""Season length detection and the seasonal part of a series (batch mode), robust to the
anomalies being looked for: medians by phase, not means."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MIN_AUTOCORRELATION = 0.3  # the detected season's autocorrelation must reach this


def autocorrelation(y: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample autocorrelation at lags 0..max_lag (by FFT: O(n log n) for long series)."""
    x = y - y.mean()
    size = 1 << int(np.ceil(np.log2(2 * len(x))))
    spectrum = np.fft.rfft(x, size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[:max_lag + 1]
    return acf / acf[0] if acf[0] > 0 else np.zeros(max_lag + 1)


def detect_season(y: np.ndarray, max_season: int = 1000) -> int | None:
    """The lag of the highest autocorrelation peak of the detrended series, when it reaches
    :data:`MIN_AUTOCORRELATION` and three seasons are observed; else None."""
    n = len(y)
    max_lag = min(max_season, n // 3)
    if max_lag < 4:
        return None
    window = max(3, n // 20) | 1
    detrended = y - rolling_median(y, window)
    return strongest_period(detrended, max_lag, MIN_AUTOCORRELATION)


def strongest_period(y: np.ndarray, max_lag: int, minimum: float) -> int | None:
    """The lag (2 to ``max_lag``) of the highest autocorrelation peak, when it reaches
    ``minimum``; else None."""
    if max_lag < 4:
        return None
    acf = autocorrelation(y, max_lag)
    peaks = np.flatnonzero((acf[2:-1] > acf[1:-2]) & (acf[2:-1] >= acf[3:])) + 2
    if len(peaks) == 0:
        return None
    best = int(peaks[np.argmax(acf[peaks])])
    return best if acf[best] >= minimum else None


def seasonal_component(y: np.ndarray, season: int,
                       level: np.ndarray | None = None) -> np.ndarray:
    """The median by phase of the series minus its level (default: its rolling median over
    one season), centred to sum to zero over a season, repeated over the series."""
    level = rolling_median(y, season | 1) if level is None else level
    n = len(y)
    cycles = -(-n // season)
    deviations = np.full(cycles * season, np.nan)
    deviations[:n] = y - level
    profile = np.nanmedian(deviations.reshape(cycles, season), axis=0)  # one pass per phase
    return np.resize(profile - profile.mean(), n)


def rolling_median(y: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling median (the edges use the nearest full window). Long windows are
    evaluated at every ``window // 16``-th point and interpolated, so memory stays about 16
    values per point whatever the window."""
    n = len(y)
    if window >= n:
        return np.full(n, np.median(y))
    half = window // 2
    step = max(1, window // 16)
    centres = np.arange(half, n - half, step)
    views = sliding_window_view(y, window)[centres - half]
    return np.interp(np.arange(n), centres, np.median(views, axis=1))

"""Robust statistics the detectors share: causal rolling median and MAD, and Gaussian tail
probabilities on a log scale (pure numpy, no scipy, so the engine loads fast anywhere).

Scores are ``-log10`` of a tail probability divided by :data:`LOG_CAP`, clipped to [0, 1]:
1 means "at most one in 10^10 under the normal model", which keeps scores comparable between
batch and streaming mode and between series of any scale.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: -log10 of the tail probability that scores 1.0
LOG_CAP = 10.0
#: MAD to standard deviation for normal data
MAD_SCALE = 1.4826
#: mean absolute deviation to standard deviation for normal data (sqrt(pi / 2))
MEAN_AD_SCALE = 1.2533
_LN10 = np.log(10.0)
# Numerical Recipes' erfc Chebyshev fit: fractional error below 1.2e-7 everywhere, so tails
# as small as 1e-300 keep their relative accuracy (what a log score needs).
_ERFC = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
         -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def log_erfc(x: np.ndarray) -> np.ndarray:
    """Natural log of erfc(x) for x >= 0 (computed in log space: no underflow)."""
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    t = 1.0 / (1.0 + 0.5 * x)
    poly = np.zeros_like(t)
    for coefficient in reversed(_ERFC[1:]):
        poly = coefficient + t * poly
    return np.log(t) - x * x + _ERFC[0] + t * poly


def upper_tail_log10(z: np.ndarray) -> np.ndarray:
    """-log10 P(Z > z) of a standard normal (0 for z <= 0)."""
    z = np.maximum(np.asarray(z, dtype=float), 0.0)
    return np.maximum(-(log_erfc(z / np.sqrt(2.0)) - np.log(2.0)) / _LN10, 0.0)


def score_from_z(z: np.ndarray, cap: float = LOG_CAP) -> np.ndarray:
    """Two-sided tail probability of ``|z|`` as a score in [0, 1] (1 from 10^-cap on)."""
    two_sided = -log_erfc(np.abs(z) / np.sqrt(2.0)) / _LN10
    return np.clip(two_sided / cap, 0.0, 1.0)


def rolling_median_mad(buffer: np.ndarray, window: int, count: int) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """Median and MAD (scaled to a standard deviation) of the ``window`` values before each
    of the last ``count`` positions of ``buffer`` (which holds at least ``window`` values
    before them): only past values, as streaming needs."""
    views = sliding_window_view(buffer[len(buffer) - count - window:len(buffer) - 1], window)
    median = np.median(views, axis=1)
    mad = MAD_SCALE * np.median(np.abs(views - median[:, None]), axis=1)
    return median, mad


def mad(values: np.ndarray) -> float:
    """Median absolute deviation scaled to a standard deviation (0 for no values)."""
    if values.size == 0:
        return 0.0
    return float(MAD_SCALE * np.median(np.abs(values - np.median(values))))


def normal_quantile(p: float) -> float:
    """Inverse of the standard normal CDF (Acklam's rational approximation, relative error
    below 1.2e-9)."""
    a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
    b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
         3.754408661907416e+00)
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    if p < 0.02425 or p > 1 - 0.02425:
        q = np.sqrt(-2 * np.log(min(p, 1 - p)))
        x = ((((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
             / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1))
        return float(x if p < 0.5 else -x)
    q = p - 0.5
    r = q * q
    return float((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                 / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1))


def t_quantile(p: float, dof: float) -> float:
    """Student-t quantile by the Cornish-Fisher expansion around the normal one (accurate to
    a few parts in a thousand from 5 degrees of freedom, enough for ESD critical values)."""
    z = normal_quantile(p)
    return float(z + (z ** 3 + z) / (4 * dof) + (5 * z ** 5 + 16 * z ** 3 + 3 * z)
                 / (96 * dof ** 2) + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z)
                 / (384 * dof ** 3))

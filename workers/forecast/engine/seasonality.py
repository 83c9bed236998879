"""Season length detection and classical seasonal adjustment.

Seasonality is tested the way the M4 benchmarks do: the autocorrelation at lag m must exceed
its 90% Bartlett bound, and only when at least three full seasons are observed. A seasonal
series is adjusted with classical decomposition: multiplicative when every value is positive,
additive otherwise (zeros and negatives make seasonal ratios meaningless).

A strong trend hides a season from that test (the bound grows with the trend's
autocorrelation at every lag), so :func:`season_share` also measures the season on the
detrended series: the share of its variation the seasonal indices explain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CANDIDATE_PERIODS = (4, 7, 12, 24, 52)
_FREQUENCY_PERIODS = {
    "Y": 1, "A": 1, "Q": 4, "M": 12, "W": 52, "D": 7, "B": 5, "H": 24, "h": 24,
}  # fmt: skip
_Z90 = 1.645
STRONG_SEASON = 0.64


def season_length_from_frequency(frequency: str) -> int | None:
    """Map a pandas-style frequency alias (``M``, ``MS``, ``Q-DEC``, ``W-SUN``...) to a period."""
    base = frequency.strip().split("-")[0].lstrip("0123456789")
    for alias in (base, base[:1], base[:1].upper()):
        if alias in _FREQUENCY_PERIODS:
            return _FREQUENCY_PERIODS[alias]
    return None


def autocorrelation(y: np.ndarray, max_lag: int) -> np.ndarray:
    """Sample ACF at lags 1..max_lag (biased estimator, as in R's ``acf``)."""
    x = y - y.mean()
    denom = float(x @ x)
    if denom == 0:
        return np.zeros(max_lag)
    return np.array([float(x[k:] @ x[:-k]) / denom for k in range(1, max_lag + 1)])


def seasonality_strength(y: np.ndarray, m: int) -> float:
    """Ratio of |acf(m)| to its 90% bound; > 1 means significant, 0 when untestable."""
    if m <= 1 or y.size < 3 * m:
        return 0.0
    acf = autocorrelation(y, m)
    bound = _Z90 * np.sqrt((1 + 2 * np.sum(acf[:-1] ** 2)) / y.size)
    return float(abs(acf[-1]) / bound) if acf[-1] > 0 else 0.0


def is_seasonal(y: np.ndarray, m: int) -> bool:
    """The M4 test on the raw series (testing detrended data scored worse on M3 monthly)."""
    return seasonality_strength(y, m) > 1.0


def detect_season_length(y: np.ndarray, candidates: tuple[int, ...] = CANDIDATE_PERIODS) -> int:
    """Pick the candidate period with the most significant positive ACF spike, else 1."""
    best, best_strength = 1, 1.0
    for m in candidates:
        strength = seasonality_strength(y, m)
        if strength > best_strength:
            best, best_strength = m, strength
    return best


@dataclass(frozen=True)
class SeasonalAdjustment:
    """Seasonal indices by position; ``kind`` is ``none``, ``multiplicative`` or ``additive``."""

    kind: str
    period: int
    indices: np.ndarray  # indices[i] applies to observations t with t % period == i

    @staticmethod
    def identity() -> SeasonalAdjustment:
        return SeasonalAdjustment("none", 1, np.zeros(1))

    def _pattern(self, start: int, length: int) -> np.ndarray:
        return self.indices[(np.arange(start, start + length)) % self.period]

    def adjust(self, y: np.ndarray) -> np.ndarray:
        if self.kind == "none":
            return y
        pattern = self._pattern(0, y.size)
        return y / pattern if self.kind == "multiplicative" else y - pattern

    def restore(self, values: np.ndarray, start: int) -> np.ndarray:
        """Reseasonalise ``values`` (last axis is time) whose first point is observation start."""
        if self.kind == "none":
            return values
        pattern = self._pattern(start, values.shape[-1])
        return values * pattern if self.kind == "multiplicative" else values + pattern

    def to_dict(self) -> dict:
        if self.kind == "none":
            return {"kind": "none"}
        return {"kind": self.kind, "period": self.period, "indices": self.indices.tolist()}


def _detrended(y: np.ndarray, m: int, multiplicative: bool) -> tuple[np.ndarray, np.ndarray]:
    """Observations over (or minus) a centred 2×m moving average, and their season positions."""
    if m % 2 == 0:
        weights = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        weights = np.ones(m) / m
    trend = np.convolve(y, weights, mode="valid")
    offset = (weights.size - 1) // 2
    observed = y[offset : offset + trend.size]
    detrended = observed / trend if multiplicative else observed - trend
    return detrended, np.arange(offset, offset + trend.size) % m


def _position_means(values: np.ndarray, positions: np.ndarray, m: int) -> np.ndarray:
    return np.array([values[positions == i].mean() for i in range(m)])


def classical_adjustment(y: np.ndarray, m: int, multiplicative: bool | None = None
                         ) -> SeasonalAdjustment:  # fmt: skip
    """Classical decomposition indices (centred 2×m moving average), normalised per season;
    multiplicative by default when every value is positive."""
    multiplicative = bool(np.all(y > 0)) if multiplicative is None else multiplicative
    detrended, positions = _detrended(y, m, multiplicative)
    if detrended.size < m:  # too short for a moving average to cover every season position
        return SeasonalAdjustment.identity()
    indices = _position_means(detrended, positions, m)
    if multiplicative:
        indices = indices / indices.mean()
        if not np.all(np.isfinite(indices)) or np.any(indices <= 0):
            return SeasonalAdjustment.identity()
    else:
        indices = indices - indices.mean()
    return SeasonalAdjustment("multiplicative" if multiplicative else "additive", m, indices)


def season_share(y: np.ndarray, m: int, multiplicative: bool | None = None) -> float:
    """Share of the detrended series' variation that the seasonal indices explain, adjusted
    for the m indices fitted (like an adjusted R², so noise scores near 0); 0 with fewer
    than three seasons. Ratios are compared on a log scale."""
    if m <= 1 or y.size < 3 * m:
        return 0.0
    multiplicative = bool(np.all(y > 0)) if multiplicative is None else multiplicative
    detrended, positions = _detrended(y, m, multiplicative)
    if multiplicative:
        detrended = np.log(detrended)
    remainder = detrended - _position_means(detrended, positions, m)[positions]
    total = float(np.sum((detrended - detrended.mean()) ** 2))
    n = detrended.size
    if total <= 0 or not np.isfinite(total):
        return 0.0
    return max(0.0, 1 - (float(remainder @ remainder) / (n - m)) / (total / (n - 1)))


def steadier_adjustment(y: np.ndarray, m: int) -> SeasonalAdjustment:
    """Multiplicative or additive indices, whichever explains more of the detrended series:
    a season of constant size under a strong trend is additive, and ratios would inflate it
    where the level is high."""
    multiplicative = bool(np.all(y > 0)) and season_share(y, m, True) >= season_share(y, m, False)
    return classical_adjustment(y, m, multiplicative)


def is_strongly_seasonal(y: np.ndarray, m: int) -> bool:
    """The season explains most of the detrended variation: above 0.64, the seasonal
    strength above which R's ``forecast::nsdiffs`` differences seasonally (Wang, Smith and
    Hyndman 2006)."""
    return season_share(y, m) > STRONG_SEASON


def seasonal_adjustment(y: np.ndarray, m: int) -> SeasonalAdjustment:
    """Adjust only when the seasonality test passes; otherwise return the identity."""
    if m > 1 and is_seasonal(y, m):
        return classical_adjustment(y, m)
    return SeasonalAdjustment.identity()

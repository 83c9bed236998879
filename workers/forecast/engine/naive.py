"""Naive and seasonal-naive benchmarks; also the last-resort fallbacks for odd data."""

from __future__ import annotations

import numpy as np

from workers.forecast.engine.base import FittedModel


class NaiveFit(FittedModel):
    """Random walk: forecast = last value, one-step fitted = previous value."""

    name = "naive"

    def __init__(self, y: np.ndarray) -> None:
        super().__init__(y)
        self.fitted = np.r_[y[0], y[:-1]]
        diffs = np.diff(y)
        self.sigma = float(np.sqrt(np.mean(diffs**2))) if diffs.size else 0.0
        self.n_params = 1

    def forecast(self, h: int) -> np.ndarray:
        return np.full(h, self.y[-1])

    def psi(self, h: int) -> np.ndarray:
        return np.ones(h)

    def refit(self, y: np.ndarray) -> NaiveFit:
        return NaiveFit(y)

    def params(self) -> dict:
        return {"last_value": float(self.y[-1]), "sigma": self.sigma}


class SeasonalNaiveFit(FittedModel):
    """Repeat the last observed season; errors accumulate once per full season ahead."""

    name = "seasonal_naive"

    def __init__(self, y: np.ndarray, period: int) -> None:
        super().__init__(y)
        self.period = period
        m = period
        self.fitted = np.r_[y[:m], y[:-m]] if y.size > m else y.copy()
        diffs = y[m:] - y[:-m]
        self.sigma = float(np.sqrt(np.mean(diffs**2))) if diffs.size else 0.0
        self.n_params = 1

    def forecast(self, h: int) -> np.ndarray:
        last_season = self.y[-self.period :]
        return last_season[np.arange(h) % self.period]

    def psi(self, h: int) -> np.ndarray:
        return (np.arange(h) % self.period == 0).astype(float)

    def refit(self, y: np.ndarray) -> SeasonalNaiveFit:
        return SeasonalNaiveFit(y, self.period)

    def params(self) -> dict:
        return {"period": self.period, "sigma": self.sigma}

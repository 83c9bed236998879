"""A fitted model plus the transformations around it: seasonal adjustment and log scale.

Order on the way in: seasonal adjustment, then log (only when every adjusted value is
positive and their range is not extreme). On the way out the reverse: exp, then
reseasonalise. Intervals and simulated paths are computed on the model's scale and mapped
through the same monotone transforms, so quantiles stay quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from workers.forecast.engine.base import FittedModel
from workers.forecast.engine.seasonality import SeasonalAdjustment

_MAX_LOG_RANGE = 1e6  # max/min ratio above which a log scale would be dominated by tiny values


def log_scale_suits(z: np.ndarray) -> bool:
    return bool(np.all(z > 0) and z.max() / z.min() < _MAX_LOG_RANGE)


@dataclass
class SeriesModel:
    """Everything needed to forecast, explain and backtest one series."""

    adjustment: SeasonalAdjustment
    log: bool
    inner: FittedModel
    n: int

    def to_model_scale(self, y: np.ndarray) -> np.ndarray:
        z = self.adjustment.adjust(y)
        return np.log(z) if self.log else z

    def from_model_scale(self, z: np.ndarray, start: int) -> np.ndarray:
        with np.errstate(over="ignore"):
            values = np.exp(z) if self.log else z
        return self.adjustment.restore(values, start)

    def point(self, h: int) -> np.ndarray:
        return self.from_model_scale(self.inner.forecast(h), self.n)

    def interval(self, h: int, level: float) -> tuple[np.ndarray, np.ndarray]:
        centre = self.inner.forecast(h)
        half_width = norm.ppf(0.5 + level / 200) * self.inner.forecast_sd(h)
        lower = self.from_model_scale(centre - half_width, self.n)
        upper = self.from_model_scale(centre + half_width, self.n)
        return np.minimum(lower, upper), np.maximum(lower, upper)

    def fitted(self) -> np.ndarray:
        return self.from_model_scale(self.inner.fitted, 0)

    def simulate(self, h: int, n_paths: int, rng: np.random.Generator,
                 bootstrap: bool = True) -> np.ndarray:  # fmt: skip
        """Future paths, shape (n_paths, h), on the original scale."""
        errors = self.inner.simulate_errors(h, n_paths, rng, bootstrap)
        return self.from_model_scale(self.inner.forecast(h)[None, :] + errors, self.n)

    def refit(self, y: np.ndarray) -> SeriesModel:
        """Same transforms and parameters on a prefix of the series (for backtests)."""
        return SeriesModel(self.adjustment, self.log, self.inner.refit(self.to_model_scale(y)),
                           y.size)  # fmt: skip

    def describe(self) -> dict:
        return {
            "name": self.inner.name,
            "params": self.inner.params(),
            "transform": "log" if self.log else "none",
            "seasonal_adjustment": self.adjustment.to_dict(),
        }

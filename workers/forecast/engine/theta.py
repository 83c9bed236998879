"""Classic Theta method (theta = 2) as SES with drift (Hyndman & Billah 2003).

The forecast is the SES forecast plus half the slope of a linear trend through the data, with
the horizon correction used by statsmodels' ThetaModel. The SES part reuses the grid-fitted
ETS(A,N,N), so intervals and simulated errors are those of SES.
"""

from __future__ import annotations

import numpy as np

from workers.forecast.engine.base import FittedModel
from workers.forecast.engine.ets import EtsFit, fit_ets


def _trend_slope(y: np.ndarray) -> float:
    t = np.arange(y.size, dtype=float)
    t -= t.mean()
    denom = float(t @ t)
    return float(t @ (y - y.mean()) / denom) if denom > 0 else 0.0


class ThetaFit(FittedModel):
    name = "theta"

    def __init__(self, y: np.ndarray, ses: EtsFit) -> None:
        super().__init__(y)
        self.ses = ses
        self.slope = _trend_slope(y)
        self.fitted = ses.fitted
        self.sigma = ses.sigma
        self.n_params = ses.n_params + 1

    def forecast(self, h: int) -> np.ndarray:
        alpha = self.ses.alpha
        steps = np.arange(1, h + 1)
        drift = steps - 1 + 1 / alpha - (1 - alpha) ** self.y.size / alpha
        return self.ses.forecast(h) + 0.5 * self.slope * drift

    def psi(self, h: int) -> np.ndarray:
        return self.ses.psi(h)

    def refit(self, y: np.ndarray) -> ThetaFit:
        return ThetaFit(y, self.ses.refit(y))

    def params(self) -> dict:
        return {"theta": 2.0, "alpha": self.ses.alpha, "drift": 0.5 * self.slope,
                "sigma": self.sigma}  # fmt: skip


def fit_theta(y: np.ndarray) -> ThetaFit:
    return ThetaFit(y, fit_ets(y, "N"))

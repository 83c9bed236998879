"""Common shape of a fitted model: point forecasts plus a linear (psi-weight) error model.

Every model here is linear in its innovations, so the h-step forecast error is
sum_j psi_j * eps_{n+h-j}. That one description gives analytic prediction intervals
(sigma * sqrt(cumsum psi^2)) and simulated future paths (normal or bootstrapped innovations)
without model-specific simulation code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from scipy.signal import fftconvolve


class FittedModel(ABC):
    """A model fitted to a (seasonally adjusted) series."""

    name: str
    fitted: np.ndarray  # one-step-ahead in-sample predictions
    sigma: float  # innovation standard deviation
    n_params: int = 0
    aicc: float = float("inf")

    def __init__(self, y: np.ndarray) -> None:
        self.y = y

    @property
    def residuals(self) -> np.ndarray:
        return self.y - self.fitted

    @abstractmethod
    def forecast(self, h: int) -> np.ndarray:
        """Point forecasts for steps 1..h."""

    @abstractmethod
    def psi(self, h: int) -> np.ndarray:
        """Psi weights psi_0..psi_{h-1} (psi_0 = 1) of the h-step forecast error."""

    @abstractmethod
    def refit(self, y: np.ndarray) -> FittedModel:
        """Same parameters on other data (rolling-origin backtests); states re-estimated."""

    @abstractmethod
    def params(self) -> dict:
        """JSON-friendly parameters."""

    def forecast_sd(self, h: int) -> np.ndarray:
        return self.sigma * np.sqrt(np.cumsum(self.psi(h) ** 2))

    def simulate_errors(
        self, h: int, n_paths: int, rng: np.random.Generator, bootstrap: bool
    ) -> np.ndarray:
        """Future forecast errors, shape (n_paths, h), from normal or resampled innovations."""
        if bootstrap:
            pool = self.residuals[np.isfinite(self.residuals)]
            pool = pool - pool.mean() if pool.size else np.zeros(1)
            shocks = rng.choice(pool, size=(n_paths, h))
        else:
            shocks = rng.standard_normal((n_paths, h)) * self.sigma
        # error at step t: sum_k psi_k * shock_{t-k}, a causal convolution along time
        return fftconvolve(shocks, self.psi(h)[None, :], axes=1)[:, :h]


def gaussian_aicc(sse: float, n: int, k: int) -> float:
    """AICc of a Gaussian model from its sum of squared one-step errors (k includes sigma)."""
    if n <= k + 1 or sse <= 0:
        return float("inf")
    loglik = -0.5 * n * (np.log(2 * np.pi * sse / n) + 1)
    aic = -2 * loglik + 2 * k
    return float(aic + 2 * k * (k + 1) / (n - k - 1))

"""Additive-error exponential smoothing (ETS A,N,N / A,A,N / A,Ad,N) fitted by grid search.

Why not statsmodels ETSModel: a damped fit costs ~80 ms per series there. Here the one-step
errors are affine in the initial states (level, trend), so for every candidate (alpha, beta,
phi) the best initial states come from a 2x2 least-squares solve, and all candidates run
through the recursion together as numpy vectors: a coarse grid plus one zoomed grid costs a few
milliseconds and finds the SSE optimum to within the grid spacing. Seasonality is removed
beforehand (see ``seasonality``), so no seasonal states are needed here.
"""

from __future__ import annotations

import numpy as np

from workers.forecast.engine.base import FittedModel, gaussian_aicc

_ALPHAS = np.array([0.01, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99])
_BETA_RATIOS = np.array([0.001, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0])
_PHIS = np.array([0.8, 0.86, 0.9, 0.94, 0.97, 0.98])
TRENDS = ("N", "A", "Ad")


def _run(y: np.ndarray, alpha: np.ndarray, beta: np.ndarray, phi: np.ndarray):
    """Run the recursion for the data and for unit initial level/trend impulses.

    Returns the sums needed for the least-squares initial states and the final states, each
    of the three runs stacked on axis 0 (data with zero start, level impulse, trend impulse).
    """
    g = alpha.size
    level = np.zeros((3, g))
    level[1] = 1.0
    trend = np.zeros((3, g))
    trend[2] = 1.0
    inputs = np.zeros((3, 1))
    errors = np.empty((y.size, 3, g))
    for t, value in enumerate(y):
        inputs[0, 0] = value
        pred = level + phi * trend
        err = inputs - pred
        errors[t] = err
        level = pred + alpha * err
        trend = phi * trend + beta * err
    gram = np.einsum("tig,tjg->ijg", errors, errors)
    return gram, level, trend


def _solve_initial(gram: np.ndarray, with_trend: bool) -> tuple[np.ndarray, np.ndarray]:
    """Initial states minimising SSE = ||e0 + l0*e1 + b0*e2||^2, and that SSE, per candidate."""
    if not with_trend:
        denom = np.where(gram[1, 1] > 0, gram[1, 1], 1.0)
        l0 = -gram[0, 1] / denom
        sse = gram[0, 0] + 2 * l0 * gram[0, 1] + l0**2 * gram[1, 1]
        return np.stack([l0, np.zeros_like(l0)]), sse
    a, b, c = gram[1, 1], gram[1, 2], gram[2, 2]
    r1, r2 = -gram[0, 1], -gram[0, 2]
    det = a * c - b * b
    det = np.where(np.abs(det) > 1e-12 * (np.abs(a * c) + 1e-300), det, np.inf)
    l0 = (c * r1 - b * r2) / det
    b0 = (a * r2 - b * r1) / det
    sse = gram[0, 0] - (l0 * r1 + b0 * r2)
    return np.stack([l0, b0]), sse


def _grid(trend: str, alphas: np.ndarray, ratios: np.ndarray, phis: np.ndarray):
    if trend == "N":
        return alphas, np.zeros_like(alphas), np.zeros_like(alphas)
    if trend == "A":
        phis = np.ones(1)
    a, r, p = np.meshgrid(alphas, ratios, phis, indexing="ij")
    return a.ravel(), (a * r).ravel(), p.ravel()


def _search(y: np.ndarray, trend: str, grids) -> tuple[float, float, float, float]:
    alpha, beta, phi = _grid(trend, *grids)
    gram, _, _ = _run(y, alpha, beta, phi)
    _, sse = _solve_initial(gram, trend != "N")
    sse = np.where(np.isfinite(sse), sse, np.inf)
    best = int(np.argmin(sse))
    return float(alpha[best]), float(beta[best]), float(phi[best]), float(sse[best])


def _zoom(values: np.ndarray, best: float, lo: float, hi: float) -> np.ndarray:
    """A finer grid around ``best`` spanning its neighbours in ``values``."""
    i = int(np.argmin(np.abs(values - best)))
    left = values[i - 1] if i > 0 else lo
    right = values[i + 1] if i + 1 < values.size else hi
    return np.unique(np.clip(np.linspace(left, right, 7), lo, hi))


class EtsFit(FittedModel):
    """ETS(A, trend, N) with fixed smoothing parameters and least-squares initial states."""

    def __init__(self, y: np.ndarray, trend: str, alpha: float, beta: float, phi: float):
        super().__init__(y)
        self.trend = trend
        self.alpha, self.beta, self.phi = alpha, beta, phi
        self.name = {"N": "ets_ANN", "A": "ets_AAN", "Ad": "ets_AAdN"}[trend]
        gram, level, slope = _run(y, np.array([alpha]), np.array([beta]), np.array([phi]))
        (l0, b0), sse = _solve_initial(gram, trend != "N")
        self.l0, self.b0 = float(l0[0]), float(b0[0])
        weights = np.array([1.0, self.l0, self.b0])
        self.level = float(weights @ level[:, 0])
        self.slope = float(weights @ slope[:, 0])
        self.sse = max(float(sse[0]), 0.0)
        self.fitted = self._fitted_values()
        n_smoothing = {"N": 1, "A": 2, "Ad": 3}[trend]
        n_states = 1 if trend == "N" else 2
        self.n_params = n_smoothing + n_states + 1
        self.sigma = float(np.sqrt(self.sse / max(y.size - self.n_params + 1, 1)))
        self.aicc = gaussian_aicc(self.sse, y.size, self.n_params)

    def _fitted_values(self) -> np.ndarray:
        level, trend = self.l0, self.b0
        out = np.empty(self.y.size)
        for t, value in enumerate(self.y):
            pred = level + self.phi * trend
            out[t] = pred
            err = value - pred
            level = pred + self.alpha * err
            trend = self.phi * trend + self.beta * err
        return out

    def _damped_sum(self, h: int) -> np.ndarray:
        """phi + phi^2 + ... + phi^k for k = 1..h (k for phi = 1)."""
        return np.cumsum(self.phi ** np.arange(1, h + 1))

    def forecast(self, h: int) -> np.ndarray:
        if self.trend == "N":
            return np.full(h, self.level)
        return self.level + self._damped_sum(h) * self.slope

    def psi(self, h: int) -> np.ndarray:
        psi = np.full(h, self.alpha)
        if self.trend != "N" and h > 1:
            psi[1:] += self.beta * self._damped_sum(h - 1)
        psi[0] = 1.0
        return psi

    def refit(self, y: np.ndarray) -> EtsFit:
        return EtsFit(y, self.trend, self.alpha, self.beta, self.phi)

    def params(self) -> dict:
        out = {"trend": self.trend, "alpha": self.alpha, "initial_level": self.l0}
        if self.trend != "N":
            out.update(beta=self.beta, phi=self.phi, initial_trend=self.b0)
        out.update(sigma=self.sigma, aicc=self.aicc)
        return out


def fit_ets(y: np.ndarray, trend: str) -> EtsFit:
    """Fit one trend variant: coarse grid, then a zoomed grid around the coarse optimum."""
    coarse = (_ALPHAS, _BETA_RATIOS, _PHIS)
    alpha, beta, phi, _ = _search(y, trend, coarse)
    ratio = beta / alpha if alpha > 0 else 0.0
    fine = (
        _zoom(_ALPHAS, alpha, 1e-4, 0.9999),
        _zoom(_BETA_RATIOS, ratio, 1e-4, 1.0),
        _zoom(_PHIS, phi, 0.8, 0.98),
    )
    alpha, beta, phi, _ = _search(y, trend, fine)
    return EtsFit(y, trend, alpha, beta, phi)


def min_length(trend: str) -> int:
    """Observations needed so that AICc is defined (n > k + 1)."""
    return {"N": 4, "A": 7, "Ad": 8}[trend]


def select_ets(y: np.ndarray, trends: tuple[str, ...] = TRENDS) -> EtsFit:
    """Best AICc among the trend variants the series is long enough for."""
    usable = [t for t in trends if y.size >= min_length(t)] or ["N"]
    fits = [fit_ets(y, t) for t in usable]
    return min(fits, key=lambda f: f.aicc)

"""Small ARIMA(p, d, q) search, estimated by conditional sum of squares (CSS).

Why not statsmodels SARIMAX: ~70 ms per order per series, so even a small search dominated
the whole forecast. CSS has the same structure as the ETS fit: for a fixed MA polynomial the
one-step errors are linear in the constant and AR coefficients, so a grid over the MA
coefficients (vectorised through the recursion) with a batched least-squares solve for the
rest finds the CSS optimum in about a millisecond per order. The differencing order comes
from repeated KPSS tests (as in auto.arima); orders are compared by AICc. Seasonality is
removed beforehand, so there are no seasonal terms.
"""

from __future__ import annotations

import warnings

import numpy as np
from statsmodels.tsa.arima_process import arma2ma
from statsmodels.tsa.stattools import kpss

from workers.forecast.engine.base import FittedModel, gaussian_aicc

ORDERS = ((0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (0, 2))
MAX_D = 2
_THETA_1 = np.linspace(-0.9, 0.9, 37)


def differencing_order(y: np.ndarray, max_d: int = MAX_D) -> int:
    """Number of differences until KPSS (5%) no longer rejects level stationarity."""
    x = y
    for d in range(max_d + 1):
        if x.size < 10 or np.ptp(x) == 0:
            return d
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, pvalue, *_ = kpss(x, regression="c", nlags="auto")
        if pvalue >= 0.05:
            return d
        x = np.diff(x)
    return max_d


def _ma_grid(q: int) -> np.ndarray:
    """Candidate MA coefficients, shape (q, G), inside the invertibility region."""
    if q == 0:
        return np.zeros((0, 1))
    if q == 1:
        return _THETA_1[None, :]
    t1, t2 = np.meshgrid(np.linspace(-1.9, 1.9, 25), np.linspace(-0.95, 0.95, 21))
    t1, t2 = t1.ravel(), t2.ravel()
    ok = (t2 + t1 > -0.98) & (t2 - t1 > -0.98)
    return np.stack([t1[ok], t2[ok]])


def _zoom(thetas: np.ndarray, best: np.ndarray, width: float) -> np.ndarray:
    axes = [np.linspace(b - width, b + width, 9) for b in best]
    grid = np.stack([g.ravel() for g in np.meshgrid(*axes)])
    if grid.shape[0] == 1:
        ok = np.abs(grid[0]) < 0.99
    else:
        ok = (np.abs(grid[1]) < 0.99) & (grid[1] + grid[0] > -0.99) & (grid[1] - grid[0] > -0.99)
    return np.concatenate([thetas, grid[:, ok]], axis=1)


def _design(w: np.ndarray, p: int, constant: bool) -> np.ndarray:
    """Rows: target w_t, then regressors (1, w_{t-1}..w_{t-p}) for t = p..N-1."""
    n = w.size
    rows = [w[p:]]
    if constant:
        rows.append(np.ones(n - p))
    rows += [w[p - i : n - i] for i in range(1, p + 1)]
    return np.stack(rows)


def _ma_filter(series: np.ndarray, thetas: np.ndarray) -> np.ndarray:
    """v_t = u_t - sum_j theta_j v_{t-j} for every series and every MA candidate: (T, k, G)."""
    k, n = series.shape
    q, g = thetas.shape
    out = np.empty((n, k, g))
    for t in range(n):
        v = np.repeat(series[:, t : t + 1], g, axis=1)
        for j in range(min(q, t)):
            v -= thetas[j] * out[t - j - 1]
        out[t] = v
    return out


def _stationary(ar: np.ndarray) -> np.ndarray:
    """Stationarity of AR(0..2) coefficient rows, shape (G, p) -> (G,)."""
    if ar.shape[1] == 0:
        return np.ones(ar.shape[0], dtype=bool)
    if ar.shape[1] == 1:
        return np.abs(ar[:, 0]) < 0.99
    p1, p2 = ar[:, 0], ar[:, 1]
    return (p1 + p2 < 0.99) & (p2 - p1 < 0.99) & (np.abs(p2) < 0.99)


def _css(w: np.ndarray, p: int, thetas: np.ndarray, constant: bool):
    """Least-squares AR/constant per MA candidate; returns (sse, coefficients) per candidate."""
    filtered = _ma_filter(_design(w, p, constant), thetas)
    gram = np.einsum("tig,tjg->gij", filtered, filtered)
    r = gram.shape[1] - 1
    if r == 0:
        return gram[:, 0, 0], np.zeros((gram.shape[0], 0))
    a = gram[:, 1:, 1:]
    ridge = 1e-10 * (np.trace(a, axis1=1, axis2=2)[:, None, None] + 1e-300)
    a = a + ridge * np.eye(r)
    b = gram[:, 1:, 0]
    coef = np.linalg.solve(a, b[:, :, None])[:, :, 0]
    sse = gram[:, 0, 0] - np.einsum("gi,gi->g", coef, b)
    ar = coef[:, int(constant) :]
    sse = np.where(_stationary(ar) & np.isfinite(sse), sse, np.inf)
    return sse, coef


class ArimaFit(FittedModel):
    """ARIMA with fixed coefficients; states (last values and errors) come from the data."""

    name = "arima"

    def __init__(self, y: np.ndarray, order: tuple[int, int, int], constant: float | None,
                 ar: np.ndarray, ma: np.ndarray) -> None:  # fmt: skip
        super().__init__(y)
        self.order = order
        self.constant, self.ar, self.ma = constant, ar, ma
        p, d, q = order
        self.w = np.diff(y, d) if d else y
        # MA-filtering the design matrix and combining gives e_t = w_t - c - AR - MA(e).
        design = _design(self.w, p, constant is not None)
        filtered = _ma_filter(design, ma[:, None])[:, :, 0]
        coef = np.r_[[] if constant is None else [constant], ar]
        self.errors = filtered[:, 0] - filtered[:, 1:] @ coef if coef.size else filtered[:, 0]
        self.sse = float(self.errors @ self.errors)
        n_eff = self.errors.size
        self.n_params = p + q + (constant is not None) + 1
        self.sigma = float(np.sqrt(self.sse / max(n_eff - self.n_params + 1, 1)))
        self.aicc = gaussian_aicc(self.sse, n_eff, self.n_params)
        self.fitted = y.copy()  # the first d + p points are conditioned on, not predicted
        self.fitted[d + p :] = y[d + p :] - self.errors

    def forecast(self, h: int) -> np.ndarray:
        p, d, q = self.order
        w_hist = list(self.w[-p:]) if p else []
        e_hist = list(self.errors[-q:]) if q else []
        out = np.empty(h)
        c = self.constant or 0.0
        for step in range(h):
            value = c + sum(self.ar[i] * w_hist[-1 - i] for i in range(p))
            value += sum(self.ma[j] * e_hist[-1 - j] for j in range(q) if j < len(e_hist))
            out[step] = value
            w_hist.append(value)
            e_hist.append(0.0)
        for k in range(d, 0, -1):
            out = np.diff(self.y, k - 1)[-1] + np.cumsum(out)
        return out

    def psi(self, h: int) -> np.ndarray:
        ar = np.r_[1.0, -self.ar]
        for _ in range(self.order[1]):
            ar = np.convolve(ar, [1.0, -1.0])
        return arma2ma(ar, np.r_[1.0, self.ma], lags=h)

    def refit(self, y: np.ndarray) -> ArimaFit:
        return ArimaFit(y, self.order, self.constant, self.ar, self.ma)

    def params(self) -> dict:
        return {"order": list(self.order), "constant": self.constant, "ar": self.ar.tolist(),
                "ma": self.ma.tolist(), "sigma": self.sigma, "aicc": self.aicc}  # fmt: skip


def _fit_order(y: np.ndarray, w: np.ndarray, p: int, d: int, q: int, constant: bool):
    thetas = _ma_grid(q)
    sse, coef = _css(w, p, thetas, constant)
    best = int(np.argmin(sse))
    if q:
        thetas = _zoom(thetas[:, [best]], thetas[:, best], 0.05)
        sse, coef = _css(w, p, thetas, constant)
        best = int(np.argmin(sse))
    if not np.isfinite(sse[best]):
        return None
    c = float(coef[best, 0]) if constant else None
    return ArimaFit(y, (p, d, q), c, coef[best, int(constant) :], thetas[:, best])


def fit_arima(
    y: np.ndarray,
    orders: tuple[tuple[int, int], ...] = ORDERS,
    drift: bool = True,
    d: int | None = None,
) -> ArimaFit:
    """Best AICc over (p, q) orders; a constant for d = 0, optionally drift for d = 1."""
    d = differencing_order(y) if d is None else d
    w = np.diff(y, d) if d else y
    best: ArimaFit | None = None
    for p, q in orders:
        if w.size < p + q + 8:
            continue
        for constant in (True, False) if d == 0 or (d == 1 and drift) else (False,):
            fit = _fit_order(y, w, p, d, q, constant)
            if fit is not None and (best is None or fit.aicc < best.aicc):
                best = fit
    if best is None:
        raise RuntimeError("no ARIMA order could be fitted to this series")
    return best

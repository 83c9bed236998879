"""A non-seasonal model fitted to a series with its seasonal component removed.

The series is split into a seasonal part (STL/MSTL or Fourier terms, see ``decomposition``)
and the rest; ETS, Theta or ARIMA forecasts the rest, and the future seasonal part is added
back. On a log scale (chosen around this model, in ``SeriesModel``) the seasons are
multiplicative. The adjusted series' model may be fitted to its recent part only
(``window``): on decades of weekly data Theta's drift, the slope over the whole series, and
a slowly adapting level extrapolated a growth that had long ended. The seasonal part is
treated as known, so the error model is the inner model's; its intervals are calibrated on
rolling-origin errors by ``auto``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from workers.forecast.engine.base import FittedModel
from workers.forecast.engine.decomposition import Seasonal

Decompose = Callable[[np.ndarray], Seasonal]


def recent(z: np.ndarray, window: int | None) -> np.ndarray:
    """The last ``window`` values (all when None)."""
    return z if window is None or z.size <= window else z[-window:]
FitInner = Callable[[np.ndarray], FittedModel]


class DecomposedFit(FittedModel):
    def __init__(self, y: np.ndarray, name: str, decompose: Decompose, fit_inner: FitInner,
                 seasonal: Seasonal | None = None, inner: FittedModel | None = None,
                 window: int | None = None) -> None:  # fmt: skip
        """``seasonal`` and ``inner`` (fitted to the last ``window`` values of ``y`` minus
        that seasonal part) may be passed in when a family of models shares them."""
        super().__init__(y)
        self.name = name
        self.decompose, self.fit_inner, self.window = decompose, fit_inner, window
        self.seasonal = decompose(y) if seasonal is None else seasonal
        adjusted = recent(y - self.seasonal.past, window)
        self.inner = fit_inner(adjusted) if inner is None else inner
        head = np.full(y.size - adjusted.size, np.nan)  # before the window: not fitted
        self.fitted = np.r_[head, self.inner.fitted] + self.seasonal.past
        self.sigma = self.inner.sigma
        self.n_params = self.inner.n_params + int(self.seasonal.coefficients.size)

    def forecast(self, h: int) -> np.ndarray:
        return self.inner.forecast(h) + self.seasonal.future(h)

    def psi(self, h: int) -> np.ndarray:
        return self.inner.psi(h)

    def refit(self, y: np.ndarray) -> DecomposedFit:
        """A new decomposition and a new fit of the inner model on ``y``."""
        return DecomposedFit(y, self.name, self.decompose, self.fit_inner, window=self.window)

    def params(self) -> dict:
        return {"seasonal": self.seasonal.describe(), "adjusted_model": self.inner.name,
                "adjusted_params": self.inner.params()}  # fmt: skip

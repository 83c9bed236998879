"""A non-seasonal model fitted to a series with its seasonal component removed.

The series is split into a seasonal part (STL/MSTL or Fourier terms, see ``decomposition``)
and the rest; ETS, Theta or ARIMA forecasts the rest, and the future seasonal part is added
back. On a log scale (chosen around this model, in ``SeriesModel``) the seasons are
multiplicative. The seasonal part is treated as known, so the error model is the inner
model's; its intervals are calibrated on rolling-origin errors by ``auto``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from workers.forecast.engine.base import FittedModel
from workers.forecast.engine.decomposition import Seasonal

Decompose = Callable[[np.ndarray], Seasonal]
FitInner = Callable[[np.ndarray], FittedModel]


class DecomposedFit(FittedModel):
    def __init__(self, y: np.ndarray, name: str, decompose: Decompose, fit_inner: FitInner,
                 seasonal: Seasonal | None = None, inner: FittedModel | None = None
                 ) -> None:  # fmt: skip
        """``seasonal`` and ``inner`` (fitted to ``y`` minus that seasonal part) may be
        passed in when a family of models shares them."""
        super().__init__(y)
        self.name = name
        self.decompose, self.fit_inner = decompose, fit_inner
        self.seasonal = decompose(y) if seasonal is None else seasonal
        self.inner = fit_inner(y - self.seasonal.past) if inner is None else inner
        self.fitted = self.inner.fitted + self.seasonal.past
        self.sigma = self.inner.sigma
        self.n_params = self.inner.n_params + int(self.seasonal.coefficients.size)

    def forecast(self, h: int) -> np.ndarray:
        return self.inner.forecast(h) + self.seasonal.future(h)

    def psi(self, h: int) -> np.ndarray:
        return self.inner.psi(h)

    def refit(self, y: np.ndarray) -> DecomposedFit:
        """A new decomposition and a new fit of the inner model on ``y``."""
        return DecomposedFit(y, self.name, self.decompose, self.fit_inner)

    def params(self) -> dict:
        return {"seasonal": self.seasonal.describe(), "adjusted_model": self.inner.name,
                "adjusted_params": self.inner.params()}  # fmt: skip

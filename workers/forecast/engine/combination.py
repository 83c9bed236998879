"""Equal-weight combination of fitted models.

The combined point forecast is the mean of the members'. Its error model is the mean of the
members' psi weights with the mean innovation sd, which treats the members as filters of one
shared innovation sequence; intervals and simulated paths then stay consistent.
"""

from __future__ import annotations

import numpy as np

from workers.forecast.engine.base import FittedModel


class CombinationFit(FittedModel):
    name = "combination"

    def __init__(self, y: np.ndarray, members: list[FittedModel]) -> None:
        if not members:
            raise ValueError("a combination needs at least one member")
        super().__init__(y)
        self.members = members
        self.fitted = np.mean([m.fitted for m in members], axis=0)
        self.sigma = float(np.mean([m.sigma for m in members]))
        self.n_params = sum(m.n_params for m in members)

    def forecast(self, h: int) -> np.ndarray:
        return np.mean([m.forecast(h) for m in self.members], axis=0)

    def psi(self, h: int) -> np.ndarray:
        weights = [m.psi(h) * m.sigma for m in self.members]
        return np.mean(weights, axis=0) / self.sigma if self.sigma > 0 else np.ones(h)

    def refit(self, y: np.ndarray) -> CombinationFit:
        return CombinationFit(y, [m.refit(y) for m in self.members])

    def params(self) -> dict:
        return {"members": [{"model": m.name, "params": m.params()} for m in self.members]}

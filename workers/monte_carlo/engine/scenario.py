"""Declarative scenario model: named random variables combined by an arithmetic expression."""

from __future__ import annotations

import numpy as np

from app.workflows.monte_carlo.distributions import cholesky_factor
from app.workflows.monte_carlo.expression import compile_expression
from workers.monte_carlo.engine.distributions import build_sampler
from workers.monte_carlo.engine.qmc import sobol_normals


class ScenarioModel:
    """Compiled form of a validated ``scenario`` params dict."""

    def __init__(self, params: dict) -> None:
        self.names = list(params["variables"])
        self.samplers = [
            build_sampler(v["dist"], v) for v in params["variables"].values()
        ]
        self.evaluate = compile_expression(params["expression"], self.names, "params.expression")
        corr = params.get("correlation")
        self.correlated: list[int] = []
        self.factor: np.ndarray | None = None
        if corr:
            self.correlated = [self.names.index(n) for n in corr["variables"]]
            self.factor = cholesky_factor(np.array(corr["matrix"]), "params.correlation.matrix")

    def normals(self, rng: np.random.Generator, size: int, antithetic: bool,
                sobol: bool = False) -> np.ndarray:  # fmt: skip
        half = (size + 1) // 2 if antithetic else size
        if sobol:  # one dimension a variable, one scramble a block (see qmc.py)
            z = sobol_normals(len(self.names), rng, size).T.copy()
        else:
            z = rng.standard_normal((half, len(self.names)))
        if antithetic:
            z = np.concatenate([z, -z])[:size]
        if self.factor is not None:
            z[:, self.correlated] = z[:, self.correlated] @ self.factor.T
        return z

    def block(self, rng: np.random.Generator, size: int, antithetic: bool,
              sobol: bool = False) -> np.ndarray:  # fmt: skip
        z = self.normals(rng, size, antithetic, sobol)
        env = {name: sample(z[:, j]) for j, (name, sample)
               in enumerate(zip(self.names, self.samplers, strict=True))}  # fmt: skip
        out = np.asarray(self.evaluate(env), dtype=float)
        return np.broadcast_to(out, (size,)).copy() if out.shape != (size,) else out

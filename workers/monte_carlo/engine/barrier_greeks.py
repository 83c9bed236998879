"""Pathwise derivatives of a continuously monitored barrier's weight, for barrier Greeks.

A path's weight w is the probability that its Brownian bridges never touched the barrier:
w = Π (1 − p_i), p_i = exp(A_i), A_i = −2·d_{i−1}·d_i/(σ²·Δt), d_i the log distance to the
barrier at step i. w is a smooth function of the path (it goes to 0 continuously as a grid
point nears the barrier), so its derivative along the path is an unbiased pathwise
estimator's ingredient. With respect to s0 every log price moves by 1/s0; with respect to σ
(the drift held fixed) the log price at step i moves by W_i − σ·t_i, and the bridge's scale
−2/(σ²·Δt) by −2/σ times itself. The recursion dw_i = dw_{i−1}·(1 − p_i) − w_{i−1}·dp_i with
dp_i = p_i·dA_i keeps it stable when w is near 0.
"""

from __future__ import annotations

import math

import numpy as np

from workers.monte_carlo.engine.monitors import EXPONENT_FLOOR

PARAMETERS = ("s0", "volatility")


class BarrierGreeks:
    """dw/ds0 and dw/dσ of ``n`` paths against one barrier (``mirror``: the antithetic
    paths, whose running sums are the negated direct ones)."""

    def __init__(self, level_log: float, up: bool, start_log: float, s0: float, sigma: float,
                 dt: float, n: int, mirror: bool = False) -> None:  # fmt: skip
        self.sign = 1.0 if up else -1.0
        self.level, self.s0, self.sigma, self.dt = level_log, s0, sigma, dt
        self.root_dt = math.sqrt(dt)
        self.mirror = -1.0 if mirror else 1.0
        self.scale = -2.0 / (sigma * sigma * dt)
        start = self.sign * (level_log - start_log)
        self.distance = np.full(n, max(start, 0.0))
        self.slopes = {"s0": np.full(n, -self.sign / s0), "volatility": np.zeros(n)}
        self.weight = np.ones(n)
        self.derivatives = {name: np.zeros(n) for name in PARAMETERS}

    def update(self, level: np.ndarray, x: np.ndarray, step: int) -> None:
        """Advance to log prices ``level`` after ``step`` steps; ``x`` the running sums."""
        distance = self.sign * (self.level - level)
        alive = distance > 0
        np.maximum(distance, 0.0, out=distance)
        moves = {"s0": 1.0 / self.s0,
                 "volatility": self.mirror * self.root_dt * x - self.sigma * step * self.dt}
        slopes = {name: np.where(alive, -self.sign * move, 0.0) for name, move in moves.items()}
        product = self.distance * distance
        exponent = self.scale * product
        p = np.exp(np.maximum(exponent, EXPONENT_FLOOR))
        scale_slope = {"s0": 0.0, "volatility": -2.0 * self.scale / self.sigma}
        for name in PARAMETERS:
            d_exponent = self.scale * (self.slopes[name] * distance
                                       + self.distance * slopes[name]) \
                + scale_slope[name] * product  # fmt: skip
            self.derivatives[name] = self.derivatives[name] * (1.0 - p) - \
                self.weight * p * d_exponent  # fmt: skip
        self.weight *= 1.0 - p
        self.distance, self.slopes = distance, slopes

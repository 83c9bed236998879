"""Whether a path touched a price level: at the steps only, or continuously.

A barrier or threshold watched only at the grid points misses every crossing that happens
between two of them, which biases a crossing probability low (and a knock-out option's
price high) by an amount that shrinks only like √dt. Between two grid points a GBM log price
is a Brownian bridge, and the probability that a bridge from distance d0 to distance d1
below a level (both > 0) touched it is exp(−2·d0·d1/s²), s² being the step's variance. So
each path carries the probability that it survived every step, the product of
1 − exp(−2·d0·d1/s²); its mean is the continuous-monitoring probability of never touching
the level. Using that conditional probability rather than sampling a crossing keeps the
estimator smooth and its variance lower.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: below this exponent 1 − exp(x) is 1.0 in float64
EXPONENT_FLOOR = -50.0


@dataclass(frozen=True)
class Levels:
    """Price levels watched along the paths, as log prices, and the side they lie on."""

    logs: np.ndarray  # (k,) log levels
    up: np.ndarray  # (k,) True: the path starts below the level and may rise to it
    continuous: bool  # Brownian-bridge correction between steps

    @property
    def size(self) -> int:
        return int(self.logs.size)


class Monitor:
    """The survival probability of ``n`` paths against each of the levels."""

    def __init__(self, levels: Levels, start_log: float, step_variance: float, n: int) -> None:
        self.levels = levels.logs[:, None]
        self.sign = np.where(levels.up, 1.0, -1.0)[:, None]
        start = self.sign * (self.levels - start_log)  # distance to each level at time 0
        self.distance = np.repeat(np.maximum(start, 0.0), n, axis=1)
        self.survival = np.repeat((start > 0).astype(float), n, axis=1)
        continuous = levels.continuous and step_variance > 0
        self.scale = -2.0 / step_variance if continuous else None
        self.buffer = np.empty_like(self.distance)
        self.work = np.empty_like(self.distance)

    def update(self, level: np.ndarray) -> None:
        """Advance by one step to log prices ``level`` (one per path)."""
        distance = np.subtract(self.levels, level[None, :], out=self.buffer)
        distance *= self.sign
        np.maximum(distance, 0.0, out=distance)
        if self.scale is None:
            self.survival *= distance > 0
        else:
            crossed = np.multiply(self.distance, distance, out=self.work)  # 0: on or past it
            crossed *= self.scale
            # exp(-50) ~ 2e-22 leaves 1 - p at exactly 1.0, and exp is many times slower on
            # arguments whose result underflows, which most far-away paths would give
            np.maximum(crossed, EXPONENT_FLOOR, out=crossed)
            np.exp(crossed, out=crossed)
            np.subtract(1.0, crossed, out=crossed)
            self.survival *= crossed
        self.buffer, self.distance = self.distance, distance

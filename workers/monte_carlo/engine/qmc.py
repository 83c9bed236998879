"""Randomized quasi-Monte Carlo paths: scrambled Sobol points built into Brownian paths.

Sobol points fill the unit cube far more evenly than random ones, but only their first
dimensions are very even. The Brownian-bridge construction spends them where they matter
most: the first dimension decides the path's end, the next ones its midpoints, then the
quarter points, and so on, so the variance of a payoff that depends mostly on the end and
the broad shape of a path is carried by the best dimensions. Each block draws one
independently scrambled sequence (seeded from the block's generator), so blocks are
independent replicates: their spread gives an honest standard error, and the result is the
same whatever the number of shards.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import ndtri
from scipy.stats import qmc

#: keeps a piece of a block at about 32 MB of path values
PIECE_VALUES = 1 << 22
_TINY = np.finfo(float).tiny


def sobol_normals(dimension: int, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` scrambled Sobol points mapped to standard normals, shape (dimension, n)."""
    return _normals(scrambled_sobol(dimension, rng), n)


def scrambled_sobol(dimension: int, rng: np.random.Generator) -> qmc.Sobol:
    """A Sobol engine scrambled from ``rng`` (scipy ≥ 1.15 names the argument ``rng``,
    earlier versions ``seed``)."""
    try:
        return qmc.Sobol(dimension, scramble=True, rng=rng)
    except TypeError:
        return qmc.Sobol(dimension, scramble=True, seed=rng)


def _normals(engine: qmc.Sobol, n: int) -> np.ndarray:
    with warnings.catch_warnings():  # a block's last piece may not be a power of two
        warnings.simplefilter("ignore", UserWarning)
        points = engine.random(n)
    np.clip(points, _TINY, 1 - _TINY, out=points)
    return ndtri(points.T, out=np.empty(points.shape[::-1]))  # one row per dimension


def bridge_plan(steps: int) -> list[tuple[int, int, int, float, float, float]]:
    """Bisection order of the Brownian bridge over time points 0..steps (in units of a step):
    (point, left, right, weight of left, weight of right, conditional sd), left and right
    being already built points (right = left = 0 for the first, the end point)."""
    plan = [(steps, 0, 0, 0.0, 0.0, float(np.sqrt(steps)))]
    spans = [(0, steps)]
    while spans:
        nxt = []
        for left, right in spans:
            if right - left < 2:
                continue
            mid = (left + right) // 2
            width = right - left
            plan.append((mid, left, right, (right - mid) / width, (mid - left) / width,
                         float(np.sqrt((mid - left) * (right - mid) / width))))
            nxt += [(left, mid), (mid, right)]
        spans = nxt
    return plan


class SobolPaths:
    """Running sums of standard normals (Brownian paths in units of a step) from Sobol
    points, one scrambled sequence per block, drawn piece by piece."""

    def __init__(self, steps: int, rng: np.random.Generator) -> None:
        self.steps = steps
        self.engine = scrambled_sobol(steps, rng)
        self.plan = bridge_plan(steps)

    def piece_sizes(self, size: int) -> list[int]:
        """Pieces of a power-of-two number of paths (each then a balanced Sobol set)."""
        piece = 1 << max(0, int(np.log2(max(1, PIECE_VALUES // (self.steps + 1)))))
        return [min(piece, size - start) for start in range(0, size, piece)]

    def paths(self, n: int) -> np.ndarray:
        """Shape (steps + 1, n): row t holds every path's sum after t steps (row 0 zeros)."""
        z = _normals(self.engine, n)
        x = np.empty((self.steps + 1, n))
        x[0] = 0.0
        for j, (point, left, right, wl, wr, sd) in enumerate(self.plan):
            row = np.multiply(z[j], sd, out=x[point])
            if j:
                row += wl * x[left]
                row += wr * x[right]
        return x

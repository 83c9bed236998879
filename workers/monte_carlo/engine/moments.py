"""Mergeable running moments (Chan, Golub & LeVeque 1979 pairwise update).

Each block of simulations contributes (count, mean, M2). Merging the blocks strictly in
block order makes the result bit-identical however the blocks were spread across shards.
"""

from __future__ import annotations

import numpy as np

Moments = tuple[int, float, float]  # (count, mean, sum of squared deviations)

EMPTY: Moments = (0, 0.0, 0.0)


def block_moments(values: np.ndarray) -> Moments:
    if values.size == 0:
        return EMPTY
    with np.errstate(over="ignore", invalid="ignore"):  # overflow: see engine/finite.py
        mean = float(values.mean())
        dev = values - mean
        return int(values.size), mean, float(dev @ dev)


def combine(a: Moments, b: Moments) -> Moments:
    na, ma, m2a = a
    nb, mb, m2b = b
    if na == 0:
        return b
    if nb == 0:
        return a
    n = na + nb
    delta = mb - ma
    return n, ma + delta * nb / n, m2a + m2b + delta * delta * na * nb / n


def combine_all(parts: list[Moments]) -> Moments:
    total = EMPTY
    for part in parts:
        total = combine(total, tuple(part))  # type: ignore[arg-type]
    return total


def summary(m: Moments) -> dict:
    """Mean, sample sd and standard error of the mean."""
    n, mean, m2 = m
    if n == 0:
        return {"mean": None, "std": None, "standard_error": None}
    std = float(np.sqrt(m2 / (n - 1))) if n > 1 else 0.0
    return {"mean": mean, "std": std, "standard_error": std / float(np.sqrt(n))}

"""Mergeable per-block moments of a few quantities measured on every path, and their
standard errors.

Each block reports, for k quantities, the count and means over its paths, and the count,
means and co-moments (the full matrix, or only its diagonal) over its independent units:
paths, or antithetic pairs (a pair's mean is one unit, which is what makes antithetic
variates' standard error honest). Blocks are folded in block order, so any number of
shards gives the same figures. With Sobol sampling the points of a block are not
independent, but blocks are (one scramble each): the standard error then comes from the
spread of the block means.
"""

from __future__ import annotations

import math

import numpy as np


def units(columns: np.ndarray, half: int, antithetic: bool) -> np.ndarray:
    """The independent units of (k, size) per-path values: pair means when antithetic."""
    if not antithetic:
        return columns
    m = columns.shape[1] - half
    return 0.5 * (columns[:, :m] + columns[:, half : half + m])


def block_tally(columns: np.ndarray, half: int, antithetic: bool, cross: bool) -> list:
    """[n, means, n_units, unit means, unit co-moments (k×k if cross, else k)], over the
    paths (and units) whose every column is finite: a payoff that is NaN or infinite on some
    paths leaves them out here as it does from the outcome's statistics."""
    u = units(columns, half, antithetic)
    u = u[:, np.isfinite(u).all(axis=0)]
    paths = columns[:, np.isfinite(columns).all(axis=0)]
    k = columns.shape[0]
    if u.shape[1] == 0 or paths.shape[1] == 0:
        return [0, [0.0] * k, 0, [0.0] * k, np.zeros((k, k) if cross else k).tolist()]
    dev = u - u.mean(axis=1, keepdims=True)
    comoments = dev @ dev.T if cross else np.einsum("ij,ij->i", dev, dev)
    return [int(paths.shape[1]), paths.mean(axis=1).tolist(), int(u.shape[1]),
            u.mean(axis=1).tolist(), comoments.tolist()]


def merge(blocks: list[list]) -> dict:
    """Fold block tallies in order (Chan et al.'s pairwise update, with co-moments)."""
    n, mean = 0, None
    nu, umean, comoments = 0, None, None
    for bn, bmean, bnu, bumean, bco in blocks:
        bmean, bumean, bco = np.asarray(bmean), np.asarray(bumean), np.asarray(bco)
        if bn == 0:
            continue
        if n == 0:
            n, mean, nu, umean, comoments = bn, bmean, bnu, bumean, bco
            continue
        total = n + bn
        mean = mean + (bmean - mean) * bn / total
        n = total
        if bnu:
            delta = bumean - umean
            both = nu + bnu
            outer = np.outer(delta, delta) if comoments.ndim == 2 else delta * delta
            comoments = comoments + bco + outer * nu * bnu / both
            umean = umean + delta * bnu / both
            nu = both
    return {"n": n, "mean": mean, "n_units": nu, "unit_mean": umean, "comoments": comoments}


def variances(merged: dict) -> np.ndarray:
    """Unit variances (the diagonal of the co-moments over n_units − 1)."""
    co = merged["comoments"]
    diagonal = np.diag(co) if co.ndim == 2 else co
    return diagonal / max(1, merged["n_units"] - 1)


def replicate_errors(blocks: list[list], means: np.ndarray) -> np.ndarray | None:
    """Standard errors of the overall means from the spread of the block means (each block
    an independent replicate, weighted by its number of paths); None with one block."""
    blocks = [b for b in blocks if b[0]]
    if len(blocks) < 2:
        return None
    weights = np.array([b[0] for b in blocks], dtype=float)
    weights /= weights.sum()
    spread = np.array([b[1] for b in blocks]) - means[None, :]
    return np.sqrt(len(blocks) / (len(blocks) - 1) * (weights[:, None] ** 2 * spread**2).sum(0))


def standard_errors(blocks: list[list], merged: dict, sobol: bool) -> list[float | None]:
    if sobol:
        errors = replicate_errors(blocks, merged["mean"])
        return [None] * len(merged["mean"]) if errors is None else errors.tolist()
    if merged["n_units"] < 2:
        return [None] * len(merged["mean"])
    return np.sqrt(variances(merged) / merged["n_units"]).tolist()


def estimate(value: float, error: float | None) -> dict:
    return {"value": float(value),
            "standard_error": None if error is None or math.isnan(error) else float(error)}

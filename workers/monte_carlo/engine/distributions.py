"""Marginal distributions for the declarative scenario model, driven by standard normals.

Every variable is sampled as F^-1(Phi(z)) from its own standard-normal column z, so the same
code serves independent variables and a Gaussian copula (z correlated through a Cholesky
factor). Normal and lognormal skip the Phi round trip (exact and faster).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special

from app.workflows.monte_carlo.distributions import PARAMETERS  # noqa: F401

Sampler = Callable[[np.ndarray], np.ndarray]

def _phi(z: np.ndarray) -> np.ndarray:
    return special.ndtr(z)


def _triangular(low: float, mode: float, high: float) -> Sampler:
    width = high - low
    split = (mode - low) / width

    def sample(z: np.ndarray) -> np.ndarray:
        u = _phi(z)
        left = low + np.sqrt(u * width * (mode - low))
        right = high - np.sqrt((1 - u) * width * (high - mode))
        return np.where(u < split, left, right)

    return sample


def _pert(low: float, mode: float, high: float) -> Sampler:
    """Beta-PERT with the usual shape lambda = 4."""
    a = 1 + 4 * (mode - low) / (high - low)
    b = 1 + 4 * (high - mode) / (high - low)
    return lambda z: low + (high - low) * special.betaincinv(a, b, _phi(z))


def _empirical(values: np.ndarray) -> Sampler:
    """Resample the given values with equal probability (a bootstrap through the copula)."""
    ordered = np.sort(values)
    n = ordered.size
    return lambda z: ordered[np.minimum((_phi(z) * n).astype(np.int64), n - 1)]


def build_sampler(dist: str, p: dict) -> Sampler:
    """Turn a validated distribution spec into a function of standard normals."""
    if dist == "normal":
        return lambda z: p["mean"] + p["std"] * z
    if dist == "lognormal":
        return lambda z: np.exp(p["mu"] + p["sigma"] * z)
    if dist == "uniform":
        return lambda z: p["low"] + (p["high"] - p["low"]) * _phi(z)
    if dist == "triangular":
        return _triangular(p["low"], p["mode"], p["high"])
    if dist == "pert":
        return _pert(p["low"], p["mode"], p["high"])
    if dist == "empirical":
        return _empirical(np.asarray(p["values"], dtype=float))
    if dist == "constant":
        return lambda z: np.full(z.shape, p["value"])
    raise ValueError(f"unknown distribution {dist!r}")


def analytic_mean(dist: str, p: dict) -> float:
    """Exact mean of a marginal (used in tests and as a sanity figure in outputs)."""
    if dist == "normal":
        return p["mean"]
    if dist == "lognormal":
        return float(np.exp(p["mu"] + p["sigma"] ** 2 / 2))
    if dist == "uniform":
        return (p["low"] + p["high"]) / 2
    if dist == "triangular":
        return (p["low"] + p["mode"] + p["high"]) / 3
    if dist == "pert":
        return (p["low"] + 4 * p["mode"] + p["high"]) / 6
    if dist == "empirical":
        return float(np.mean(p["values"]))
    return p["value"]

"""The marginal distributions a scenario may declare: their parameters and domains, and the
correlation matrix check (the samplers are in ``workers.monte_carlo.engine``)."""

from __future__ import annotations

import numpy as np

from app.workflows.monte_carlo.errors import MonteCarloInputError

# name -> required parameters (all finite numbers, except "values" for empirical)
PARAMETERS: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "std"),
    "lognormal": ("mu", "sigma"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high"),
    "empirical": ("values",),
    "constant": ("value",),
}


def check_parameters(dist: str, p: dict, field: str) -> None:
    """Raise MonteCarloInputError when parameters are outside the distribution's domain."""

    def fail(message: str) -> MonteCarloInputError:
        return MonteCarloInputError(field, message)

    if dist == "normal" and p["std"] < 0:
        raise fail("std must be >= 0")
    if dist == "lognormal" and p["sigma"] < 0:
        raise fail("sigma must be >= 0")
    if dist == "uniform" and not p["low"] < p["high"]:
        raise fail("low must be < high")
    if dist in ("triangular", "pert"):
        if not p["low"] < p["high"]:
            raise fail("low must be < high")
        if not p["low"] <= p["mode"] <= p["high"]:
            raise fail("mode must lie within [low, high]")
    if dist == "empirical" and len(p["values"]) < 1:
        raise fail("values must not be empty")


def cholesky_factor(matrix: np.ndarray, field: str) -> np.ndarray:
    """A factor L with L @ L.T = matrix (Cholesky, or eigen-based when singular)."""
    if not np.allclose(matrix, matrix.T, atol=1e-10):
        raise MonteCarloInputError(field, "correlation matrix must be symmetric")
    if not np.allclose(np.diag(matrix), 1.0, atol=1e-10):
        raise MonteCarloInputError(field, "correlation matrix must have ones on the diagonal")
    if np.any(np.abs(matrix) > 1 + 1e-12):
        raise MonteCarloInputError(field, "correlations must lie within [-1, 1]")
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(matrix)
        eigen = float(values.min())
        if eigen > -1e-10:  # singular but PSD (e.g. perfect correlation): exact square root
            return vectors * np.sqrt(np.clip(values, 0.0, None))
        raise MonteCarloInputError(
            field, f"correlation matrix must be positive semi-definite (min eigenvalue {eigen:.3g})"
        ) from None


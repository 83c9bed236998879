"""The merged estimates beside the outcome's moments: crossing and barrier probabilities,
the control-variate mean, Greeks, and Sobol's replicate standard error.

Control variate: with C the terminal price (known mean μ_C) and Y the outcome,
Y − β(C − μ_C) has the same mean as Y and, with β = Cov(Y, C)/Var(C) estimated from all
the units, variance (1 − ρ²)·Var(Y); the result reports that mean and standard error, β,
and the variance-reduction factor Var(Y)/Var(Y − βC). With Sobol sampling the same β
adjusts each block's mean and the blocks' spread gives the error.
"""

from __future__ import annotations

import math

import numpy as np

from workers.monte_carlo.engine import tally
from workers.monte_carlo.engine.payoffs import PathOutcome, crossing_sides


def _blocks(results: list[dict], key: str) -> list[list]:
    return [b for r in results for b in r.get(key) or []]


def outcome_replicate_error(results: list[dict]) -> float | None:
    """Sobol: the standard error of the mean from the spread of block means."""
    blocks = [[b[0], [b[1]]] for r in results for b in r["blocks"] if b[0]]
    if len(blocks) < 2:
        return None
    mean = sum(b[0] * b[1][0] for b in blocks) / sum(b[0] for b in blocks)
    errors = tally.replicate_errors(blocks, np.array([mean]))
    return None if errors is None else float(errors[0])


def thresholds(spec: dict, results: list[dict]) -> list[dict]:
    """Exceedance at the horizon and, with path_crossing, touching along the path."""
    n = sum(b[0] for r in results for b in r["blocks"]) + sum(r["invalid"] for r in results)
    valid = sum(b[0] for r in results for b in r["blocks"])
    crossing = spec["model"] != "scenario" and spec["path_crossing"]
    touched = _crossing_estimates(spec, results) if crossing else []
    sides = crossing_sides(spec["thresholds"], spec["params"]["s0"]) if crossing else []
    out, watched = [], 0
    for i, t in enumerate(spec["thresholds"]):
        above = sum(r["above"][i] for r in results)
        below = sum(r["below"][i] for r in results)
        row = {"threshold": t, "p_above": above / valid if valid else None,
               "p_below": below / valid if valid else None}  # fmt: skip
        if crossing and n:
            side = sides[i]
            if isinstance(side, bool):
                hit = touched[watched]
                watched += 1
                row["p_hit_above"], row["p_hit_below"] = \
                    (hit["value"], 1.0) if side else (1.0, hit["value"])  # fmt: skip
                row["p_hit_standard_error"] = hit["standard_error"]
            else:
                row["p_hit_above"], row["p_hit_below"] = side
                row["p_hit_standard_error"] = 0.0
        out.append(row)
    return out


def _crossing_estimates(spec: dict, results: list[dict]) -> list[dict]:
    blocks = _blocks(results, "crossings")
    if not blocks:
        return []
    merged = tally.merge(blocks)
    if not merged["n"]:
        return [{"value": None, "standard_error": None}] * len(blocks[0][1])
    errors = tally.standard_errors(blocks, merged, spec["sampling"] == "sobol")
    return [tally.estimate(m, e) for m, e in zip(merged["mean"], errors, strict=True)]


def barrier(spec: dict, results: list[dict]) -> dict | None:
    params = spec["params"]
    if spec["model"] == "scenario" or params.get("barrier") is None:
        return None
    touched = _crossing_estimates(spec, results)
    return {**params["barrier"], "monitoring": params.get("monitoring", "discrete"),
            "p_touched": touched[-1] if touched else None}


def estimates(spec: dict, results: list[dict]) -> dict:
    """``control_variate`` and ``greeks`` entries of the result, when asked for."""
    if spec["model"] == "scenario":
        return {}
    outcome = PathOutcome(spec)
    names = outcome.estimate_names()
    blocks = _blocks(results, "estimates")
    if not names or not blocks:
        return {}
    merged = tally.merge(blocks)
    if not merged["n"]:  # no path with a finite outcome
        return {}
    sobol = spec["sampling"] == "sobol"
    errors = tally.standard_errors(blocks, merged, sobol)
    out: dict = {}
    if outcome.control:
        out["control_variate"] = _control(merged, blocks, outcome.control_mean(), errors[0],
                                          sobol)
    greeks: dict = {}
    for j, name in enumerate(names):
        if "." in name:
            greek, method = name.split(".")
            greeks.setdefault(greek, {})[method] = tally.estimate(merged["mean"][j], errors[j])
    if greeks:
        out["greeks"] = greeks
    return out


def _control(merged: dict, blocks: list[list], expected: float, plain_error: float | None,
             sobol: bool) -> dict:  # fmt: skip
    co = merged["comoments"]
    beta = co[0, 1] / co[1, 1] if co[1, 1] > 0 else 0.0
    mean = merged["mean"][0] - beta * (merged["mean"][1] - expected)
    if sobol:
        adjusted = [[b[0], [b[1][0] - beta * (b[1][1] - expected)]] for b in blocks]
        errors = tally.replicate_errors(adjusted, np.array([mean]))
        error = None if errors is None else float(errors[0])
    else:
        residual = max(0.0, co[0, 0] - beta * co[0, 1]) / max(1, merged["n_units"] - 2)
        error = math.sqrt(residual / merged["n_units"])
    factor = (plain_error / error) ** 2 if plain_error and error else None
    return {"control": "terminal price", "expected": expected, "beta": float(beta),
            "mean": float(mean), "standard_error": error,
            "sample_mean": float(merged["mean"][0]), "sample_standard_error": plain_error,
            "variance_reduction": factor}

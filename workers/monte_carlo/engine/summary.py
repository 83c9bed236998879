"""Turn merged shard statistics into the result: moments, quantiles, risk, histogram, fan.

Conventions stated in the output:
* quantiles are of the outcome (terminal price for path models, the expression value for
  scenarios), at rank q*(n-1); exact (linear interpolation) when n <= exact_limit, otherwise
  from the merged log-bucket sketch with the stated relative error;
* loss = reference - outcome, reference = s0 for path models whose outcome is the terminal
  price, 0 for scenarios and for path models with a ``payoff`` expression;
  VaR at level c is the c-quantile of loss; CVaR (expected shortfall) is the mean loss over
  the worst ceil((1-c)*n) outcomes.
"""

from __future__ import annotations

import math

import numpy as np

from workers.monte_carlo.engine import estimators, moments
from workers.monte_carlo.engine.finite import finite_result
from workers.monte_carlo.engine.paths import step_grid
from workers.monte_carlo.engine.sketch import QuantileSketch


def _label(p: float) -> str:
    return f"p{p:g}"


def _merged_sketch(results: list[dict], key: str) -> QuantileSketch:
    sketch = QuantileSketch.from_dict(results[0][key])
    for r in results[1:]:
        sketch.merge(QuantileSketch.from_dict(r[key]))
    return sketch


def _quantiles(values: np.ndarray | None, sketch: QuantileSketch, lo: float, hi: float,
               qs: np.ndarray) -> np.ndarray:  # fmt: skip
    """Exact quantiles when the values were kept, else sketch ones clipped to [min, max]."""
    if values is not None:
        return np.quantile(values, qs)
    return np.clip(sketch.quantiles(qs), lo, hi)


def _risk(spec: dict, values: np.ndarray | None, sketch: QuantileSketch, n: int,
          lo: float, hi: float) -> dict:  # fmt: skip
    plain_price = spec["model"] != "scenario" and not spec["params"].get("payoff")
    reference = spec["params"]["s0"] if plain_price else 0.0
    sorted_values = np.sort(values) if values is not None else None
    levels = {}
    for c in spec["var_levels"]:
        tail = max(1, math.ceil((1 - c / 100) * n))
        q = float(_quantiles(sorted_values, sketch, lo, hi, np.array([1 - c / 100]))[0])
        if sorted_values is not None:
            tail_mean = float(sorted_values[:tail].mean())
        else:
            tail_mean = float(np.clip(sketch.lower_tail_mean(tail), lo, hi))
        levels[f"{c:g}"] = {"var": reference - q, "cvar": reference - tail_mean}
    return {
        "convention": "loss = reference - outcome; VaR_c = c-quantile of loss; "
        "CVaR_c = mean loss over the worst ceil((1-c)n) outcomes",
        "reference": reference,
        "levels": levels,
    }


def _histogram(values: np.ndarray | None, sketch: QuantileSketch, lo, hi, bins: int) -> dict:
    if lo is None:
        return {"edges": [], "counts": []}
    edges = np.linspace(lo, hi, bins + 1) if hi > lo else np.array([lo, lo + 1e-12])
    if values is not None:
        counts, _ = np.histogram(values, bins=edges)
    else:
        reps, weights = sketch.sorted_buckets()
        counts, _ = np.histogram(np.clip(reps, edges[0], edges[-1]), bins=edges, weights=weights)
    return {"edges": edges.tolist(), "counts": [int(c) for c in counts]}


def _fan(spec: dict, results: list[dict]) -> dict | None:
    parts = [r for r in results if r["fan"] is not None]
    if spec["model"] == "scenario" or not parts:
        return None
    steps = spec["params"]["steps"]
    grid = step_grid(steps, spec["fan_points"])
    sketches = [QuantileSketch.from_dict(d) for d in parts[0]["fan"]]
    for r in parts[1:]:
        for sketch, d in zip(sketches, r["fan"], strict=True):
            sketch.merge(QuantileSketch.from_dict(d))
    qs = np.array(spec["fan_quantiles"]) / 100
    table = np.array([s.quantiles(qs) for s in sketches])  # (grid, quantile)
    s0 = spec["params"]["s0"]
    horizon = spec["params"].get("horizon", float(steps))
    return {
        "steps": [0, *grid.tolist()],
        "times": [0.0, *(grid * horizon / steps).tolist()],
        "quantiles": {_label(p): [s0, *table[:, i].tolist()]
                      for i, p in enumerate(spec["fan_quantiles"])},  # fmt: skip
        "n_paths": sketches[0].count,
        "relative_error": sketches[0].relative_accuracy,
    }


def _sample_paths(spec: dict, results: list[dict]) -> dict | None:
    if spec["model"] == "scenario":
        return None
    samples = next((r["samples"] for r in results if r["samples"] is not None), None)
    if samples is None:
        return None
    grid = step_grid(spec["params"]["steps"], spec["fan_points"])
    s0 = spec["params"]["s0"]
    return {"steps": [0, *grid.tolist()], "paths": [[s0, *p] for p in samples]}


def summarise(spec: dict, results: list[dict]) -> dict:
    """``results`` are shard outputs sorted by block, covering every block exactly once."""
    total = moments.combine_all([tuple(b) for r in results for b in r["blocks"]])
    n = total[0]
    stats = moments.summary(total)
    if spec["antithetic"]:
        pairs = moments.combine_all([tuple(b) for r in results for b in r["pairs"]])
        if pairs[0] > 1:
            stats["standard_error"] = moments.summary(pairs)["standard_error"]
    if spec["sampling"] == "sobol":
        stats["standard_error"] = estimators.outcome_replicate_error(results)
    extra = estimators.estimates(spec, results)
    if "control_variate" in extra:
        stats["mean"] = extra["control_variate"]["mean"]
        stats["standard_error"] = extra["control_variate"]["standard_error"]
    sketch = _merged_sketch(results, "sketch")
    exact = results[0]["values"] is not None
    values = np.array([v for r in results for v in r["values"]]) if exact else None
    mins = [r["min"] for r in results if r["min"] is not None]
    maxs = [r["max"] for r in results if r["max"] is not None]
    lo, hi = (min(mins), max(maxs)) if mins else (None, None)
    qs = np.array(spec["quantiles"]) / 100
    qvals = _quantiles(values, sketch, lo, hi, qs) if n else np.full(qs.size, np.nan)
    return finite_result({
        "model": spec["model"],
        "n_simulations": spec["n_simulations"],
        "n_valid": n,
        "n_invalid": sum(r["invalid"] for r in results),
        "seed": spec["seed"],
        "antithetic": spec["antithetic"],
        "sampling": spec["sampling"],
        **stats,
        "min": lo,
        "max": hi,
        "quantiles": {_label(p): (float(v) if np.isfinite(v) else None)
                      for p, v in zip(spec["quantiles"], qvals, strict=True)},  # fmt: skip
        "quantile_method": "exact" if exact else "sketch",
        "quantile_relative_error": 0.0 if exact else spec["relative_accuracy"],
        "thresholds": estimators.thresholds(spec, results),
        "barrier": estimators.barrier(spec, results),
        **extra,
        "risk": _risk(spec, values, sketch, n, lo, hi) if n else None,
        "histogram": _histogram(values, sketch, lo, hi, spec["histogram_bins"]),
        "fan_chart": _fan(spec, results),
        "sample_paths": _sample_paths(spec, results),
        "shards": len(results),
        "path_steps": sum(r["path_steps"] for r in results),
        "compute_seconds": sum(r["elapsed_seconds"] for r in results),
    })

"""Scenario forecast: simulate future paths of a series from its fitted forecast model.

The series is fitted by the forecast engine (same spec as ``forecast_series``); future paths
are the point forecast plus simulated errors through the model's psi weights, driven either
by bootstrapped in-sample residuals (``method="bootstrap"``, no normality assumption) or by
normal innovations (``method="normal"``). Paths are mapped back through the model's log and
seasonal transforms. Outputs are fan-chart quantiles per step and threshold probabilities
(at each step, at the horizon, and of ever crossing within the horizon).
"""

from __future__ import annotations

import numpy as np

from app.workflows.forecast.errors import ForecastInputError
from app.workflows.forecast.validation import MAX_CELLS
from app.workflows.monte_carlo.checks import boolean, choice, get, integer, numbers
from app.workflows.monte_carlo.errors import MonteCarloInputError
from workers.forecast.engine.engine import fit_series_model


def _validate(spec: dict) -> dict:
    if not isinstance(spec, dict):
        raise MonteCarloInputError("body", "must be an object")
    seed = get(spec, "seed", "", None)
    out = {
        "n_paths": integer(get(spec, "n_paths", "", 5000), "n_paths", 1, 1_000_000),
        "seed": integer(seed, "seed", 0, 2**63 - 1) if seed is not None
        else int(np.random.SeedSequence().entropy % (2**63)),
        "method": choice(get(spec, "method", "", "bootstrap"), "method", ("bootstrap", "normal")),
        "thresholds": numbers(get(spec, "thresholds", "", []), "thresholds", 0, 100),
        "fan_quantiles": numbers(get(spec, "fan_quantiles", "", [5, 25, 50, 75, 95]),
                                 "fan_quantiles", 1, 50, 0, 100, lo_open=True),
        "sample_paths": integer(get(spec, "sample_paths", "", 10), "sample_paths", 0, 100),
        "per_step_probabilities": boolean(get(spec, "per_step_probabilities", "", True),
                                          "per_step_probabilities"),
    }  # fmt: skip
    if any(q >= 100 for q in out["fan_quantiles"]):
        raise MonteCarloInputError("fan_quantiles", "must be below 100")
    return out


def scenario_forecast(spec: dict, fit_window: int | None = None) -> dict:
    """Fit ``spec["series"]`` (on at most its last ``fit_window`` observations) and simulate
    ``n_paths`` future paths over its horizon."""
    opts = _validate(spec)
    try:
        model, ctx = fit_series_model(get(spec, "series", ""), "series", fit_window)
    except ForecastInputError as exc:
        raise MonteCarloInputError(exc.field, exc.message) from None
    h = ctx["spec"]["horizon"] + ctx["trailing"]
    if opts["n_paths"] * h > MAX_CELLS:
        raise MonteCarloInputError("n_paths", f"n_paths x horizon must be at most {MAX_CELLS:,}")
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(opts["seed"])))
    paths = model.simulate(h, opts["n_paths"], rng, bootstrap=opts["method"] == "bootstrap")
    paths = paths[:, ctx["trailing"] :]
    finite = np.all(np.isfinite(paths), axis=1)
    paths = paths[finite]
    qs = np.array(opts["fan_quantiles"]) / 100
    table = np.quantile(paths, qs, axis=0) if paths.size else np.full((qs.size, h), np.nan)
    return {
        "model": ctx["model_name"],
        "model_detail": model.describe(),
        "fit_window": ctx["fit_window"],
        "method": opts["method"],
        "seed": opts["seed"],
        "n_paths": int(paths.shape[0]),
        "n_invalid": int((~finite).sum()),
        "forecast": model.point(h)[ctx["trailing"] :].tolist(),
        "mean_path": paths.mean(axis=0).tolist() if paths.size else None,
        "fan_chart": {
            "steps": list(range(1, paths.shape[1] + 1)),
            "quantiles": {f"p{p:g}": row.tolist() for p, row in
                          zip(opts["fan_quantiles"], table, strict=True)},  # fmt: skip
        },
        "thresholds": [_threshold(paths, t, opts["per_step_probabilities"])
                       for t in opts["thresholds"]],  # fmt: skip
        "sample_paths": paths[: opts["sample_paths"]].tolist(),
        "notes": ctx["report"].notes,
        "fallbacks": ctx["report"].fallbacks,
    }


def _threshold(paths: np.ndarray, t: float, per_step: bool) -> dict:
    if paths.size == 0:
        return {"threshold": t, "p_above_at_end": None, "p_ever_above": None,
                "p_ever_below": None}  # fmt: skip
    above = paths > t
    row = {
        "threshold": t,
        "p_above_at_end": float(above[:, -1].mean()),
        "p_ever_above": float(above.any(axis=1).mean()),
        "p_ever_below": float((paths < t).any(axis=1).mean()),
    }
    if per_step:
        row["p_above_by_step"] = above.mean(axis=0).tolist()
    return row

"""Validate and normalise a Monte Carlo spec into a JSON-serialisable dict with all defaults.

The normalised spec is what shards receive, so everything that must be identical across
shards (seed, block size, accuracy, ...) is fixed here. A missing seed is drawn once here
and returned, which keeps a run reproducible after the fact.
"""

from __future__ import annotations

import keyword

import numpy as np

from app.workflows.monte_carlo.checks import boolean, choice, get, integer, join, number, numbers
from app.workflows.monte_carlo.distributions import PARAMETERS, check_parameters, cholesky_factor
from app.workflows.monte_carlo.errors import MonteCarloInputError
from app.workflows.monte_carlo.expression import FUNCTIONS, compile_expression
from app.workflows.monte_carlo.pricing import (
    check_discounting,
    read_barrier,
    read_pricing,
    read_rates,
)
from app.workflows.monte_carlo.reach import check_bootstrap, check_gbm

MODELS = ("gbm", "bootstrap", "scenario")
SAMPLING = ("pseudo", "sobol")
#: the largest dimension scipy's Sobol generator has direction numbers for (one per step)
MAX_SOBOL_DIMENSION = 21201
MAX_SIMULATIONS = 1_000_000_000
MAX_STEPS = 100_000
MAX_SEED = 2**63 - 1
MAX_THRESHOLDS = 100
MAX_PERCENTAGES = 200
MAX_VARIABLES = 100
RETURN_TYPES = ("simple", "log")
#: defaults of the path models' params
PATH_DEFAULTS = {"horizon": 1.0, "steps": 252, "return_type": "simple", "block_length": 1}
#: bounds of the integer options a request may set
INTEGER_OPTIONS = {"histogram_bins": (1, 1000), "sample_paths": (0, 100), "fan_points": (1, 1000)}
#: exclusive lower bound of each percentage list (the upper bound is 100, exclusive too)
PERCENT_OPTIONS = {"quantiles": 0.0, "var_levels": 50.0, "fan_quantiles": 0.0}
DEFAULTS = {
    "block_size": 8192,
    "antithetic": False,
    "thresholds": [],
    "quantiles": [1, 5, 10, 25, 50, 75, 90, 95, 99],
    "var_levels": [95, 99],
    "histogram_bins": 50,
    "sample_paths": 10,
    "fan_quantiles": [5, 25, 50, 75, 95],
    "fan_points": 100,
    "fan_sample": 20_000,
    "exact_limit": 20_000,
    "relative_accuracy": 0.001,
    "path_crossing": False,
    "sampling": "pseudo",
    "control_variate": False,
}


def _gbm(p: dict, path: str) -> dict:
    out = {
        "s0": number(get(p, "s0", path), join(path, "s0"), 0, lo_open=True),
        **read_rates(p, path),
        "volatility": number(get(p, "volatility", path), join(path, "volatility"), 0),
        "horizon": number(get(p, "horizon", path, PATH_DEFAULTS["horizon"]),
                          join(path, "horizon"), 0, lo_open=True),
        "steps": _steps(p, path),
    }
    check_discounting(out["rate"], out["horizon"], path)
    check_gbm(out, path)
    out.update(read_pricing(p, path, out))
    return out


def _steps(p: dict, path: str) -> int:
    return integer(get(p, "steps", path, PATH_DEFAULTS["steps"]), join(path, "steps"), 1,
                   MAX_STEPS)


def _bootstrap(p: dict, path: str) -> dict:
    kind = choice(get(p, "return_type", path, PATH_DEFAULTS["return_type"]),
                  join(path, "return_type"), RETURN_TYPES)
    history = get(p, "history", path, None)
    returns = get(p, "returns", path, None)
    normalised = get(p, "log_returns", path, None)  # an already validated spec
    if sum(x is not None for x in (history, returns, normalised)) != 1:
        raise MonteCarloInputError(join(path, "returns"), "give exactly one of returns or history")
    if normalised is not None:
        source = "log_returns"
        log_returns = np.array(numbers(normalised, join(path, source), 1))
        s0_default = 1.0
    elif history is not None:
        source = "history"
        levels = np.array(numbers(history, join(path, source), 3, lo=0, lo_open=True))
        log_returns = np.diff(np.log(levels))
        s0_default = float(levels[-1])
    else:
        source = "returns"
        lo = -1.0 if kind == "simple" else None
        values = np.array(numbers(returns, join(path, source), 2, lo=lo, lo_open=True))
        log_returns = np.log1p(values) if kind == "simple" else values
        s0_default = 1.0
    steps = _steps(p, path)
    block = integer(get(p, "block_length", path, PATH_DEFAULTS["block_length"]),
                    join(path, "block_length"), 1, max(1, log_returns.size))
    s0 = number(get(p, "s0", path, s0_default), join(path, "s0"), 0, lo_open=True)
    check_bootstrap(log_returns.tolist(), s0, steps, block, path, source)
    return {"log_returns": log_returns.tolist(), "s0": s0, "steps": steps, "block_length": block,
            "barrier": read_barrier(p, path, s0)}


def _variable(name: str, spec: dict, path: str) -> dict:
    if not isinstance(spec, dict):
        raise MonteCarloInputError(path, "must be an object")
    dist = choice(get(spec, "dist", path), join(path, "dist"), tuple(PARAMETERS))
    params: dict = {}
    for key in PARAMETERS[dist]:
        field = join(path, key)
        raw = get(spec, key, path)
        params[key] = numbers(raw, field, 1) if key == "values" else number(raw, field)
    check_parameters(dist, params, path)
    return {"dist": dist, **params}


def _correlation(raw: dict, names: list[str], path: str) -> dict:
    order = get(raw, "variables", path)
    if not isinstance(order, list) or len(set(order)) != len(order):
        raise MonteCarloInputError(join(path, "variables"), "must be a list of distinct names")
    for i, name in enumerate(order):
        if name not in names:
            field = join(join(path, "variables"), i)
            raise MonteCarloInputError(field, f"unknown variable {name!r}")
    matrix_raw = get(raw, "matrix", path)
    k = len(order)
    field = join(path, "matrix")
    if not isinstance(matrix_raw, list) or len(matrix_raw) != k:
        raise MonteCarloInputError(field, f"must be a {k}x{k} list of rows")
    rows = [numbers(row, join(field, i), k, k, -1, 1) for i, row in enumerate(matrix_raw)]
    cholesky_factor(np.array(rows), field)
    return {"variables": order, "matrix": rows}


def _scenario(p: dict, path: str) -> dict:
    raw_vars = get(p, "variables", path)
    vpath = join(path, "variables")
    if not isinstance(raw_vars, dict) or not 1 <= len(raw_vars) <= MAX_VARIABLES:
        raise MonteCarloInputError(vpath, f"must be an object with 1 to {MAX_VARIABLES} "
                                          "variables")
    variables = {}
    for name, spec in raw_vars.items():
        if not name.isidentifier() or keyword.iskeyword(name) or name in FUNCTIONS:
            raise MonteCarloInputError(join(vpath, name), "is not a usable variable name")
        variables[name] = _variable(name, spec, join(vpath, name))
    expression = get(p, "expression", path)
    compile_expression(expression, variables, join(path, "expression"))
    raw_corr = get(p, "correlation", path, None)
    correlation = None
    if raw_corr is not None:
        correlation = _correlation(raw_corr, list(variables), join(path, "correlation"))
    return {"variables": variables, "correlation": correlation, "expression": expression}


def _with_payoff(reader):
    """Path models may map the terminal price S to an outcome, e.g. ``max(S - 100, 0)``."""

    def read(p: dict, path: str) -> dict:
        out = reader(p, path)
        payoff = get(p, "payoff", path, None)
        if payoff is not None:
            compile_expression(payoff, PAYOFF_NAMES, join(path, "payoff"))
        out["payoff"] = payoff
        return out

    return read


PAYOFF_NAMES = ("S",)
_MODEL_PARAMS = {
    "gbm": _with_payoff(_gbm),
    "bootstrap": _with_payoff(_bootstrap),
    "scenario": _scenario,
}


def _percentages(value, field: str) -> list[float]:
    out = numbers(value, field, 0, MAX_PERCENTAGES, PERCENT_OPTIONS[field], 100, lo_open=True)
    for i, v in enumerate(out):
        if v >= 100:
            raise MonteCarloInputError(join(field, i), "must be < 100")
    return out


def validate_params(model: str, params: dict, path: str = "params") -> dict:
    """Check the ``params`` of ``model`` and return them normalised (raises
    MonteCarloInputError)."""
    return _MODEL_PARAMS[model](params, path)


def validate_spec(spec: dict) -> dict:
    """Check every field and return the normalised spec (raises MonteCarloInputError)."""
    if not isinstance(spec, dict):
        raise MonteCarloInputError("body", "must be an object")
    model = choice(get(spec, "model", ""), "model", MODELS)
    out: dict = {"model": model}
    out["n_simulations"] = integer(get(spec, "n_simulations", ""), "n_simulations", 1,
                                   MAX_SIMULATIONS)  # fmt: skip
    seed = get(spec, "seed", "", None)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))
    out["seed"] = integer(seed, "seed", 0, MAX_SEED)
    opt = {key: get(spec, key, "", default) for key, default in DEFAULTS.items()}
    out["block_size"] = integer(opt["block_size"], "block_size", 2, 1 << 20)
    if out["block_size"] % 2:
        raise MonteCarloInputError("block_size", "must be even")
    out["antithetic"] = boolean(opt["antithetic"], "antithetic")
    out["thresholds"] = numbers(opt["thresholds"], "thresholds", 0, MAX_THRESHOLDS)
    for name in PERCENT_OPTIONS:
        out[name] = _percentages(opt[name], name)
    for name, (lo, hi) in INTEGER_OPTIONS.items():
        out[name] = integer(opt[name], name, lo, hi)
    out["fan_sample"] = integer(opt["fan_sample"], "fan_sample", 1, 10_000_000)
    out["exact_limit"] = integer(opt["exact_limit"], "exact_limit", 0, 200_000)
    out["relative_accuracy"] = number(opt["relative_accuracy"], "relative_accuracy", 1e-5, 0.05)
    out["path_crossing"] = boolean(opt["path_crossing"], "path_crossing")
    out["sampling"] = choice(opt["sampling"], "sampling", SAMPLING)
    out["control_variate"] = boolean(opt["control_variate"], "control_variate")
    out["params"] = validate_params(model, get(spec, "params", ""))
    _check_methods(out)
    return out


def _check_methods(spec: dict) -> None:
    """The sampling and variance-reduction options that do not go together."""
    model = spec["model"]
    if spec["control_variate"] and model != "gbm":
        raise MonteCarloInputError("control_variate", "is available for the gbm model (its "
                                                      "terminal price has a known mean)")
    if spec["sampling"] != "sobol":
        return
    if model == "bootstrap":
        raise MonteCarloInputError("sampling", "sobol is for the gbm and scenario models")
    if spec["antithetic"]:
        raise MonteCarloInputError("antithetic", "is not combined with sampling sobol")
    size = spec["block_size"]
    if size & (size - 1):
        raise MonteCarloInputError("block_size", "must be a power of two with sampling sobol "
                                                 "(each block is one scrambled Sobol sequence)")
    if model == "gbm" and spec["params"]["steps"] > MAX_SOBOL_DIMENSION:
        raise MonteCarloInputError("params.steps", f"must be at most {MAX_SOBOL_DIMENSION} "
                                                   "with sampling sobol (one dimension a step)")

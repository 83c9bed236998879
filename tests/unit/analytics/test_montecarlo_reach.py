"""The bound on how far log prices may reach: path models just inside it simulate to finite
results that can be stored as JSON, and just outside it they are refused on the field that
contributes most (app/workflows/monte_carlo/reach.py)."""

import json
import math

import pytest

from app.workflows.monte_carlo.reach import MAX_LOG_REACH
from workers.monte_carlo.engine import MonteCarloInputError, simulate, validate_spec

STATS = ("mean", "std", "standard_error", "min", "max")


def gbm(**params) -> dict:
    return {"model": "gbm", "n_simulations": 20_000, "seed": 7, "fan_points": 20,
            "sample_paths": 5, "params": {"drift": 0.0, "volatility": 0.0, "horizon": 1.0,
                                          "steps": 20, **params}}


def bootstrap(returns: list[float], steps: int, **params) -> dict:
    return {"model": "bootstrap", "n_simulations": 20_000, "seed": 7,
            "params": {"returns": returns, "steps": steps, "return_type": "log", **params}}


def assert_finite(result: dict) -> None:
    """Every statistic a number, and the result storable (the job store refuses NaN/inf)."""
    assert all(math.isfinite(result[name]) for name in STATS), {n: result[n] for n in STATS}
    assert all(v is not None for v in result["quantiles"].values())
    json.dumps(result, allow_nan=False)


@pytest.mark.parametrize("spec", [
    gbm(s0=math.exp(MAX_LOG_REACH - 2), volatility=0.1),
    gbm(s0=math.exp(-(MAX_LOG_REACH - 2)), volatility=0.1),
    gbm(s0=1.0, volatility=16.0),  # 16²/2 + 10·16 = 288
    gbm(s0=1.0, drift=MAX_LOG_REACH - 1),
    bootstrap([0.05, 0.15], steps=2600),  # 2600·0.1 + 10·0.05·√2600 = 285.5
], ids=["large s0", "tiny s0", "volatile", "drift", "bootstrap"])
def test_specs_just_inside_the_bound_give_finite_results(spec):
    assert_finite(simulate(spec))


@pytest.mark.parametrize("spec, field", [
    (gbm(s0=math.exp(MAX_LOG_REACH + 1)), "params.s0"),
    (gbm(s0=1.0, drift=-(MAX_LOG_REACH + 1)), "params.drift"),
    (gbm(s0=1.0, volatility=25.0), "params.volatility"),
    (gbm(s0=1.0, drift=0.3, horizon=1001.0), "params.drift"),
    (bootstrap([0.05, 0.15], steps=2800), "params.returns"),  # 306.5
    (bootstrap([0.0, 1e300], steps=1), "params.returns"),
    ({"model": "bootstrap", "n_simulations": 10, "params": {"log_returns": [700.0]}},
     "params.log_returns"),
], ids=["large s0", "drift", "volatility", "long horizon", "bootstrap", "huge return",
        "normalised spec"])
def test_specs_just_outside_the_bound_are_refused_on_their_culprit(spec, field):
    with pytest.raises(MonteCarloInputError) as refused:
        validate_spec(spec)
    assert refused.value.field == field
    assert f"at most ±{MAX_LOG_REACH:g}" in refused.value.message

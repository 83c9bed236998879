"""Declarative scenarios against analytic answers, and input validation."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from workers.monte_carlo.engine import MonteCarloInputError, simulate, validate_spec
from workers.monte_carlo.engine.distributions import analytic_mean


def scenario(variables: dict, expression: str, n: int = 100_000, **extra) -> dict:
    params = {"variables": variables, "expression": expression}
    params.update(extra.pop("params", {}))
    return {"model": "scenario", "n_simulations": n, "seed": 99, "params": params, **extra}


def normal(mean: float, std: float) -> dict:
    return {"dist": "normal", "mean": mean, "std": std}


def test_sum_of_independent_normals():
    spec = scenario(
        {"x": {"dist": "normal", "mean": 1.0, "std": 2.0},
         "y": {"dist": "normal", "mean": -3.0, "std": 1.5}},
        "x + y", thresholds=[0.0],
    )  # fmt: skip
    result = simulate(spec)
    assert abs(result["mean"] - (-2.0)) < 3 * result["standard_error"]
    assert result["std"] == pytest.approx(2.5, rel=0.01)
    p_above = 1 - 0.5 * (1 + math.erf(2.0 / 2.5 / math.sqrt(2)))
    assert result["thresholds"][0]["p_above"] == pytest.approx(p_above, abs=0.005)
    assert result["quantiles"]["p50"] == pytest.approx(-2.0, abs=0.03)


def test_sum_of_the_most_variables_a_scenario_may_declare():
    """100 variables summed without parentheses: validated and simulated (it used to be
    refused as nested too deeply from 50 terms on)."""
    variables = {f"x{i}": normal(float(i), 0.0) for i in range(100)}
    spec = scenario(variables, " + ".join(variables), n=1000)
    validate_spec(spec)
    assert simulate(spec)["mean"] == pytest.approx(sum(range(100)))


@pytest.mark.parametrize("rho", [-0.6, 0.8])
def test_correlated_normal_pair_has_the_analytic_spread(rho):
    spec = scenario(
        {"a": normal(0, 1), "b": normal(0, 2)},
        "a + b",
        params={"correlation": {"variables": ["a", "b"], "matrix": [[1, rho], [rho, 1]]}},
    )
    result = simulate(spec)
    assert result["std"] ** 2 == pytest.approx(1 + 4 + 2 * rho * 2, rel=0.02)


def test_product_of_correlated_normals_has_mean_rho():
    spec = scenario(
        {"a": normal(0, 1), "b": normal(0, 1)},
        "a * b",
        params={"correlation": {"variables": ["a", "b"], "matrix": [[1, 0.5], [0.5, 1]]}},
    )
    result = simulate(spec)
    assert abs(result["mean"] - 0.5) < 3 * result["standard_error"]


@pytest.mark.parametrize(
    "dist",
    [
        {"dist": "lognormal", "mu": 0.1, "sigma": 0.4},
        {"dist": "uniform", "low": 2, "high": 5},
        {"dist": "triangular", "low": 0, "mode": 1, "high": 5},
        {"dist": "pert", "low": 10, "mode": 12, "high": 20},
        {"dist": "empirical", "values": [1, 2, 2, 7]},
    ],
)
def test_marginal_means(dist):
    result = simulate(scenario({"v": dist}, "v"))
    params = {k: v for k, v in dist.items() if k != "dist"}
    assert abs(result["mean"] - analytic_mean(dist["dist"], params)) < 4 * result["standard_error"]
    if dist["dist"] in ("uniform", "triangular", "pert"):
        assert params["low"] <= result["min"] and result["max"] <= params["high"]


def test_business_case_profit_and_risk_outputs():
    spec = scenario(
        {"units": {"dist": "normal", "mean": 1000, "std": 100},
         "price": {"dist": "uniform", "low": 9, "high": 11},
         "fixed_cost": {"dist": "constant", "value": 8000}},
        "units * price - fixed_cost", thresholds=[0],
    )  # fmt: skip
    result = simulate(spec)
    assert abs(result["mean"] - 2000) < 3 * result["standard_error"]
    price = np.linspace(9, 11, 20_001)  # P(units * price > 8000) = E_price[P(units > 8000/price)]
    p_profit = float(np.mean(1 - norm.cdf((8000 / price - 1000) / 100)))
    assert result["thresholds"][0]["p_above"] == pytest.approx(p_profit, abs=0.003)
    risk = result["risk"]
    assert risk["reference"] == 0.0
    assert risk["levels"]["99"]["var"] > risk["levels"]["95"]["var"]
    assert risk["levels"]["95"]["cvar"] >= risk["levels"]["95"]["var"]


def test_exact_and_sketch_quantiles_agree_within_the_stated_error():
    variables = {"x": {"dist": "lognormal", "mu": 0, "sigma": 1}}
    exact = simulate(scenario(variables, "x - 1", n=20_000))
    approx = simulate(scenario(variables, "x - 1", n=20_000, exact_limit=0))
    assert exact["quantile_method"] == "exact" and approx["quantile_method"] == "sketch"
    for key in ("p5", "p25", "p50", "p75", "p95"):
        assert approx["quantiles"][key] == pytest.approx(exact["quantiles"][key], rel=0.01)


def test_non_finite_outcomes_are_counted_not_crashing():
    spec = scenario({"x": {"dist": "uniform", "low": -1, "high": 1}}, "log(x)", n=10_000)
    result = simulate(spec)
    assert 4_000 < result["n_invalid"] < 6_000
    assert result["n_valid"] + result["n_invalid"] == 10_000


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda s: s.update(model="magic"), "model"),
        (lambda s: s.update(n_simulations=0), "n_simulations"),
        (lambda s: s.update(n_simulations=1.5), "n_simulations"),
        (lambda s: s.update(seed=-1), "seed"),
        (lambda s: s.update(block_size=1001), "block_size"),
        (lambda s: s.update(quantiles=[0]), "quantiles.0"),
        (lambda s: s.update(var_levels=[100]), "var_levels.0"),
        (lambda s: s["params"]["variables"]["x"].update(std=-1), "params.variables.x"),
        (lambda s: s["params"]["variables"]["x"].update(dist="cauchy"), "params.variables.x.dist"),
        (lambda s: s["params"]["variables"]["x"].pop("mean"), "params.variables.x.mean"),
        (lambda s: s["params"]["variables"]["x"].update(mean="1"), "params.variables.x.mean"),
        (lambda s: s["params"]["variables"].update({"exp": {"dist": "constant", "value": 1}}),
         "params.variables.exp"),
        (lambda s: s["params"].update(expression="x + z"), "params.expression"),
        (lambda s: s["params"].update(correlation={"variables": ["x", "y"],
                                                   "matrix": [[1, 2], [2, 1]]}),
         "params.correlation.matrix.0.1"),
        (lambda s: s["params"].update(correlation={"variables": ["x", "y"],
                                                   "matrix": [[1, 0.9], [0.1, 1]]}),
         "params.correlation.matrix"),
        (lambda s: s["params"].update(correlation={"variables": ["x", "q"],
                                                   "matrix": [[1, 0], [0, 1]]}),
         "params.correlation.variables.1"),
    ],
)  # fmt: skip
def test_validation_errors_name_the_field(mutate, field):
    spec = scenario(
        {"x": normal(0, 1), "y": normal(0, 1)},
        "x + y",
    )
    mutate(spec)
    with pytest.raises(MonteCarloInputError) as err:
        validate_spec(spec)
    assert err.value.field == field
    assert isinstance(err.value, ValueError)


def test_non_positive_definite_correlation_is_rejected():
    rho = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]
    variables = {k: {"dist": "normal", "mean": 0, "std": 1} for k in "abc"}
    spec = scenario(variables, "a+b+c",
                    params={"correlation": {"variables": ["a", "b", "c"], "matrix": rho}})
    with pytest.raises(MonteCarloInputError, match="positive semi-definite"):
        validate_spec(spec)


def test_gbm_and_bootstrap_validation():
    with pytest.raises(MonteCarloInputError) as err:
        validate_spec({"model": "gbm", "n_simulations": 10, "params": {"s0": 0, "drift": 0,
                                                                       "volatility": 0.1}})
    assert err.value.field == "params.s0"
    with pytest.raises(MonteCarloInputError) as err:
        validate_spec({"model": "bootstrap", "n_simulations": 10,
                       "params": {"returns": [-1.5, 0.1]}})
    assert err.value.field == "params.returns.0"
    with pytest.raises(MonteCarloInputError) as err:
        validate_spec({"model": "gbm", "n_simulations": 10, "params": {
            "s0": 1, "drift": 0, "volatility": 0.1, "payoff": "max(K - S, 0)"}})
    assert err.value.field == "params.payoff"


def test_missing_seed_is_drawn_and_returned():
    spec = validate_spec({"model": "gbm", "n_simulations": 10,
                          "params": {"s0": 1, "drift": 0, "volatility": 0.1}})
    assert isinstance(spec["seed"], int)


def test_bootstrap_of_constant_returns_is_deterministic_growth():
    spec = {"model": "bootstrap", "n_simulations": 1000, "seed": 1,
            "params": {"returns": [0.01, 0.01], "steps": 10, "s0": 50}}
    result = simulate(spec)
    assert result["mean"] == pytest.approx(50 * 1.01**10)
    assert result["std"] == pytest.approx(0.0, abs=1e-9)
    assert np.isclose(result["quantiles"]["p1"], result["quantiles"]["p99"])


def test_perfect_correlation_uses_an_exact_singular_factor():
    spec = scenario({"x": normal(0, 1), "y": normal(0, 1)}, "x - y", n=1000,
                    params={"correlation": {"variables": ["x", "y"], "matrix": [[1, 1], [1, 1]]}})
    result = simulate(spec)
    assert abs(result["mean"]) < 1e-12 and result["std"] < 1e-12


def test_sketch_quantiles_stay_within_the_sample_range():
    spec = {"model": "gbm", "n_simulations": 30_000, "seed": 1, "exact_limit": 0,
            "params": {"s0": 7.0, "drift": 0.0, "volatility": 0.0, "steps": 2}}
    result = simulate(spec)
    assert result["quantile_method"] == "sketch"
    assert len(set(result["quantiles"].values())) == 1  # all equal the one simulated value
    assert result["quantiles"]["p50"] == pytest.approx(7.0, rel=1e-12)
    assert result["risk"]["levels"]["99"]["var"] == pytest.approx(0.0, abs=1e-12)
    assert result["risk"]["levels"]["99"]["cvar"] == pytest.approx(0.0, abs=1e-12)

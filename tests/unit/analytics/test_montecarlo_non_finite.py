"""Statistics that overflow float64 are reported as null and named, never stored as NaN/inf."""

import json

from workers.monte_carlo.engine import simulate


def scenario(expression: str, mean: float = 0.0) -> dict:
    return {"model": "scenario", "n_simulations": 2_000, "seed": 1,
            "params": {"variables": {"a": {"dist": "normal", "mean": mean, "std": 1}},
                       "expression": expression}}


def test_an_overflowing_variance_is_null_and_listed():
    result = simulate(scenario("exp(a)", mean=700))  # outcomes near 1e304: squares overflow
    json.dumps(result, allow_nan=False)  # what the result store does
    assert result["std"] is None and result["standard_error"] is None
    assert {"std", "standard_error"} <= set(result["non_finite"])
    assert result["mean"] > 1e303 and result["n_invalid"] == 0


def test_an_overflowing_mean_and_tail_mean_are_null_and_listed():
    result = simulate(scenario("a * 1e307"))
    json.dumps(result, allow_nan=False)
    assert "mean" in result["non_finite"]
    assert "risk.levels.95.cvar" in result["non_finite"]
    assert result["quantiles"]["p50"] is not None


def test_infinite_outcomes_are_invalid_not_statistics():
    result = simulate(scenario("1 / (a - a)"))
    json.dumps(result, allow_nan=False)
    assert result["n_invalid"] == 2_000 and result["n_valid"] == 0
    assert result["mean"] is None


def test_a_finite_result_has_no_non_finite_list():
    assert "non_finite" not in simulate(scenario("a"))


def gbm(payoff: str) -> dict:
    return {"model": "gbm", "n_simulations": 4_000, "seed": 2, "control_variate": True,
            "params": {"s0": 100, "rate": 0.05, "volatility": 0.2, "steps": 4, "payoff": payoff,
                       "greeks": ["pathwise", "likelihood_ratio"]}}


def test_paths_whose_payoff_is_nan_are_left_out_of_the_control_variate_and_greeks():
    result = simulate(gbm("log(S - 100)"))  # NaN below the strike
    json.dumps(result, allow_nan=False)
    assert 0 < result["n_invalid"] < 4_000 and "non_finite" not in result
    assert result["control_variate"]["standard_error"] > 0
    assert result["greeks"]["delta"]["pathwise"]["value"] > 0


def test_a_payoff_that_is_nan_everywhere_gives_an_empty_but_storable_result():
    result = simulate(gbm("log(S - 1e9)"))
    json.dumps(result, allow_nan=False)
    assert result["n_valid"] == 0 and result["mean"] is None
    assert "greeks" not in result and "control_variate" not in result

"""GBM engine against closed forms (Black-Scholes, lognormal moments)."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from workers.monte_carlo.engine import simulate

S0, STRIKE, RATE, SIGMA, T = 100.0, 100.0, 0.05, 0.2, 1.0


def black_scholes_call() -> float:
    d1 = (math.log(S0 / STRIKE) + (RATE + SIGMA**2 / 2) * T) / (SIGMA * math.sqrt(T))
    d2 = d1 - SIGMA * math.sqrt(T)
    return S0 * norm.cdf(d1) - STRIKE * math.exp(-RATE * T) * norm.cdf(d2)


def gbm_spec(n: int, steps: int, **extra) -> dict:
    params = {"s0": S0, "drift": RATE, "volatility": SIGMA, "horizon": T, "steps": steps}
    params.update(extra.pop("params", {}))
    return {"model": "gbm", "n_simulations": n, "seed": 2024, "params": params, **extra}


def test_black_scholes_reference_value():
    assert black_scholes_call() == pytest.approx(10.4506, abs=1e-4)


@pytest.mark.parametrize("antithetic", [False, True])
def test_european_call_matches_black_scholes_within_three_standard_errors(antithetic):
    payoff = f"max(S - {STRIKE}, 0) * {math.exp(-RATE * T)!r}"
    result = simulate(gbm_spec(200_000, 4, antithetic=antithetic, params={"payoff": payoff}))
    assert result["n_valid"] == 200_000
    assert abs(result["mean"] - 10.4506) < 3 * result["standard_error"]
    assert result["standard_error"] < 0.05


def test_terminal_mean_and_variance_match_lognormal_closed_form():
    result = simulate(gbm_spec(100_000, 12))
    mean = S0 * math.exp(RATE * T)
    var = S0**2 * math.exp(2 * RATE * T) * (math.exp(SIGMA**2 * T) - 1)
    assert abs(result["mean"] - mean) < 3 * result["standard_error"]
    assert result["std"] ** 2 == pytest.approx(var, rel=0.03)


def test_terminal_quantiles_match_lognormal_within_sketch_error():
    result = simulate(gbm_spec(100_000, 1, exact_limit=0))
    assert result["quantile_method"] == "sketch"
    mu = math.log(S0) + (RATE - SIGMA**2 / 2) * T
    for p in (5, 50, 95):
        expected = math.exp(mu + SIGMA * math.sqrt(T) * norm.ppf(p / 100))
        assert result["quantiles"][f"p{p}"] == pytest.approx(expected, rel=0.01)


def test_fan_chart_median_follows_lognormal_median_per_step():
    result = simulate(gbm_spec(20_000, 20, fan_points=5))
    fan = result["fan_chart"]
    assert fan["steps"] == [0, 4, 8, 12, 16, 20]
    for t, median in zip(fan["times"], fan["quantiles"]["p50"], strict=True):
        expected = S0 * math.exp((RATE - SIGMA**2 / 2) * t)
        assert median == pytest.approx(expected, rel=0.01)
    low, high = fan["quantiles"]["p5"], fan["quantiles"]["p95"]
    assert all(lo <= hi for lo, hi in zip(low, high, strict=True))
    assert np.all(np.diff(np.array(high[1:]) - np.array(low[1:])) > 0)  # fan widens


def test_threshold_and_barrier_probabilities():
    result = simulate(gbm_spec(50_000, 50, thresholds=[100.0], path_crossing=True))
    row = result["thresholds"][0]
    d2 = (math.log(S0 / 100.0) + (RATE - SIGMA**2 / 2) * T) / (SIGMA * math.sqrt(T))
    assert row["p_above"] == pytest.approx(norm.cdf(d2), abs=0.01)
    assert row["p_above"] + row["p_below"] == pytest.approx(1.0)
    assert row["p_hit_above"] == 1.0  # every path starts at the threshold
    assert row["p_hit_below"] == 1.0


def test_var_and_cvar_are_consistent_with_quantiles():
    result = simulate(gbm_spec(10_000, 1))
    assert result["quantile_method"] == "exact"
    risk = result["risk"]["levels"]["95"]
    assert risk["var"] == pytest.approx(S0 - result["quantiles"]["p5"])
    assert risk["cvar"] > risk["var"]


def test_sample_paths_start_at_s0_and_have_one_value_per_grid_step():
    result = simulate(gbm_spec(1_000, 30, sample_paths=3))
    paths = result["sample_paths"]
    assert len(paths["paths"]) == 3
    assert all(p[0] == S0 and len(p) == len(paths["steps"]) for p in paths["paths"])
    assert sum(result["histogram"]["counts"]) == 1_000

"""Pricing with GBM against closed forms: continuous barrier monitoring, barrier options,
risk-neutral rates and discounting, Greeks, control variates and Sobol sampling."""

import math

import pytest

from workers.monte_carlo.engine import simulate
from workers.monte_carlo.engine.closed_forms import barrier_call, black_scholes, max_reaches

S0, K, RATE, SIGMA = 100.0, 100.0, 0.05, 0.2
BS = black_scholes(S0, K, RATE, SIGMA, 1.0)


def gbm(n: int = 100_000, steps: int = 52, seed: int = 11, **extra) -> dict:
    params = {"s0": S0, "rate": RATE, "volatility": SIGMA, "steps": steps,
              "payoff": f"max(S - {K:g}, 0)"}
    params.update(extra.pop("params", {}))
    return {"model": "gbm", "n_simulations": n, "seed": seed, **extra, "params": params}


def within(estimate: float, error: float, truth: float, k: float = 3.0) -> bool:
    return abs(estimate - truth) < k * error


def crossing(monitoring: str) -> dict:
    spec = gbm(200_000, thresholds=[120], path_crossing=True,
               params={"drift": 0.05, "rate": None, "payoff": None, "monitoring": monitoring})
    return simulate(spec)["thresholds"][0]


def test_crossing_probability_with_52_steps_matches_the_continuous_closed_form():
    truth = max_reaches(S0, 120, 0.05, SIGMA, 1.0)
    assert truth == pytest.approx(0.41271, abs=1e-5)
    row = crossing("continuous")
    assert within(row["p_hit_above"], row["p_hit_standard_error"], truth)
    assert row["p_hit_below"] == 1.0
    # watched at the 52 steps only, crossings between them are missed
    discrete = crossing("discrete")
    assert truth - discrete["p_hit_above"] > 10 * discrete["p_hit_standard_error"]


@pytest.mark.parametrize("kind,strike,level", [
    ("down-and-out", 100, 90), ("down-and-in", 100, 90), ("down-and-out", 95, 97),
    ("down-and-in", 95, 97), ("up-and-out", 100, 130), ("up-and-in", 100, 130),
])
def test_barrier_calls_match_reiner_rubinstein(kind, strike, level):
    result = simulate(gbm(params={"payoff": f"max(S - {strike}, 0)",
                                  "barrier": {"kind": kind, "level": level}}))
    truth = barrier_call(kind, S0, strike, level, RATE, SIGMA, 1.0)
    assert within(result["mean"], result["standard_error"], truth)
    assert result["barrier"]["monitoring"] == "continuous"


def test_knock_in_plus_knock_out_is_the_vanilla_path_by_path():
    def price(kind: str | None) -> float:
        barrier = {"kind": kind, "level": 90} if kind else None
        return simulate(gbm(20_000, params={"barrier": barrier}))["mean"]
    assert price("down-and-in") + price("down-and-out") == pytest.approx(price(None), rel=1e-12)


def test_discrete_monitoring_prices_a_knock_out_above_the_continuous_one():
    def result(monitoring: str) -> dict:
        return simulate(gbm(params={"barrier": {"kind": "down-and-out", "level": 90},
                                    "monitoring": monitoring}))
    discrete, continuous = result("discrete"), result("continuous")
    assert discrete["mean"] - continuous["mean"] > 3 * discrete["standard_error"]


@pytest.mark.parametrize("dividend", [0.0, 0.03])
def test_rate_and_dividend_yield_price_a_call_without_a_hand_written_discount(dividend):
    result = simulate(gbm(200_000, 4, params={"dividend_yield": dividend}))
    truth = black_scholes(S0, K, RATE, SIGMA, 1.0, dividend)["price"]
    assert within(result["mean"], result["standard_error"], truth)


def test_discount_false_leaves_the_payoff_undiscounted_and_the_price_is_never_discounted():
    plain = simulate(gbm(10_000, 4))["mean"]
    undiscounted = simulate(gbm(10_000, 4, params={"discount": False}))["mean"]
    assert undiscounted == pytest.approx(plain * math.exp(RATE), rel=1e-12)
    price = simulate(gbm(100_000, 4, params={"payoff": None}))
    assert within(price["mean"], price["standard_error"], S0 * math.exp(RATE))


@pytest.mark.parametrize("method", ["pathwise", "likelihood_ratio"])
@pytest.mark.parametrize("antithetic", [False, True])
def test_delta_and_vega_match_black_scholes(method, antithetic):
    result = simulate(gbm(200_000, 4, antithetic=antithetic, params={"greeks": [method]}))
    for greek in ("delta", "vega"):
        estimate = result["greeks"][greek][method]
        assert within(estimate["value"], estimate["standard_error"], BS[greek]), greek


def closed_form_slope(kind: str, strike: float, level: float, name: str) -> float:
    """Central difference of the Reiner-Rubinstein price in s0 or sigma."""
    args = {"s0": S0, "strike": strike, "level": level, "rate": RATE, "sigma": SIGMA, "t": 1.0}
    h = 1e-4
    up, down = {**args, name: args[name] + h}, {**args, name: args[name] - h}
    return (barrier_call(kind, **up) - barrier_call(kind, **down)) / (2 * h)


@pytest.mark.parametrize("kind,level", [("down-and-out", 90), ("down-and-in", 90),
                                        ("up-and-out", 130), ("up-and-in", 130)])
def test_pathwise_barrier_greeks_match_the_closed_forms_slopes(kind, level):
    result = simulate(gbm(100_000, antithetic=True, params={
        "barrier": {"kind": kind, "level": level}, "greeks": ["pathwise"]}))
    for greek, name in (("delta", "s0"), ("vega", "sigma")):
        estimate = result["greeks"][greek]["pathwise"]
        truth = closed_form_slope(kind, K, level, name)
        assert within(estimate["value"], estimate["standard_error"], truth), greek


def test_sobol_pathwise_barrier_greeks_match_too():
    result = simulate(gbm(2**16, 26, block_size=2048, sampling="sobol", params={
        "barrier": {"kind": "down-and-out", "level": 90}, "greeks": ["pathwise"]}))
    for greek, name in (("delta", "s0"), ("vega", "sigma")):
        estimate = result["greeks"][greek]["pathwise"]
        truth = closed_form_slope("down-and-out", K, 90, name)
        assert within(estimate["value"], estimate["standard_error"], truth), greek


def test_pathwise_greeks_are_more_precise_than_likelihood_ratio_for_a_call():
    greeks = simulate(gbm(50_000, 4, params={"greeks": ["pathwise", "likelihood_ratio"]}))[
        "greeks"]
    for greek in ("delta", "vega"):
        assert greeks[greek]["pathwise"]["standard_error"] < \
            greeks[greek]["likelihood_ratio"]["standard_error"]


def test_control_variate_keeps_the_price_and_cuts_the_variance():
    plain = simulate(gbm(100_000, 4))
    result = simulate(gbm(100_000, 4, control_variate=True))
    cv = result["control_variate"]
    assert within(result["mean"], result["standard_error"], BS["price"])
    assert result["mean"] == cv["mean"]
    assert cv["sample_mean"] == pytest.approx(plain["mean"], rel=1e-12)
    assert cv["expected"] == pytest.approx(S0 * math.exp(RATE))
    assert cv["variance_reduction"] > 4
    assert cv["variance_reduction"] == pytest.approx(
        (plain["standard_error"] / result["standard_error"]) ** 2, rel=1e-6)


def test_sobol_prices_a_call_far_more_precisely_than_pseudo_random_paths():
    spec = gbm(2**17, 16, block_size=4096)
    pseudo = simulate(spec)
    sobol = simulate({**spec, "sampling": "sobol"})
    assert sobol["sampling"] == "sobol"
    assert within(sobol["mean"], sobol["standard_error"], BS["price"])
    assert (pseudo["standard_error"] / sobol["standard_error"]) ** 2 > 1000


def test_sobol_barrier_and_crossing_use_the_bridge_correction_too():
    spec = gbm(2**16, 52, block_size=2048, sampling="sobol", thresholds=[120],
               path_crossing=True, params={"barrier": {"kind": "up-and-out", "level": 130}})
    result = simulate(spec)
    truth = barrier_call("up-and-out", S0, K, 130, RATE, SIGMA, 1.0)
    assert within(result["mean"], result["standard_error"], truth)
    row = result["thresholds"][0]
    assert within(row["p_hit_above"], row["p_hit_standard_error"],
                  max_reaches(S0, 120, RATE, SIGMA, 1.0))


def test_sobol_scenario_mean_matches_its_closed_form():
    spec = {"model": "scenario", "n_simulations": 2**16, "seed": 1, "block_size": 4096,
            "sampling": "sobol", "params": {"variables": {"a": {"dist": "normal", "mean": 1,
                                                               "std": 2}},
                                            "expression": "a * a"}}  # fmt: skip
    result = simulate(spec)
    assert within(result["mean"], result["standard_error"], 5.0)
    assert result["standard_error"] < 0.002  # pseudo-random: about 0.011


def test_a_bootstrap_barrier_is_watched_at_the_steps_and_in_plus_out_is_vanilla():
    def run(barrier: dict | None) -> dict:
        return simulate({"model": "bootstrap", "n_simulations": 20_000, "seed": 4,
                         "params": {"returns": [0.02, -0.015, 0.01, -0.03, 0.025], "s0": 100,
                                    "steps": 30, "payoff": "max(S - 100, 0)",
                                    "barrier": barrier}})  # fmt: skip
    vanilla = run(None)["mean"]
    out, knock_in = run({"kind": "down-and-out", "level": 95}), run({"kind": "down-and-in",
                                                                     "level": 95})
    assert out["barrier"]["monitoring"] == "discrete"
    assert out["mean"] + knock_in["mean"] == pytest.approx(vanilla, rel=1e-12)
    assert 0.2 < out["barrier"]["p_touched"]["value"] < 0.9

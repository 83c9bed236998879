"""``monte_carlo`` through the API on real workers."""

import math

import pytest

GBM = {"model": "gbm", "n_simulations": 40_000, "seed": 7,
       "params": {"s0": 100, "drift": 0.05, "volatility": 0.2, "horizon": 1, "steps": 12}}


def run(analyst, params):
    response = analyst.submit("monte_carlo", params)
    assert response.status_code == 202, response.get_json()
    job = analyst.wait(response.get_json()["id"], timeout=180)
    assert job["state"] == "succeeded", job["error"]
    return job, analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]


def test_gbm_terminal_mean_matches_closed_form_and_shards_do_not_change_the_result(
        analyst, worker):
    job1, one = run(analyst, {**GBM, "shards": 1})
    job4, four = run(analyst, {**GBM, "shards": 4})
    assert job1["progress"]["total"] == 2 and job4["progress"]["total"] == 5
    volatile = ("shards", "compute_seconds")
    assert {k: v for k, v in one.items() if k not in volatile} == \
        {k: v for k, v in four.items() if k not in volatile}
    assert (one["shards"], four["shards"]) == (1, 4)
    expected = 100 * math.exp(0.05)
    mean, se = one["mean"], one["standard_error"]
    assert abs(mean - expected) < 4 * se


def test_scenario_sum_of_normals(analyst, worker):
    params = {"model": "scenario", "n_simulations": 50_000, "seed": 3, "shards": 3,
              "params": {"variables": {"a": {"dist": "normal", "mean": 10, "std": 3},
                                       "b": {"dist": "normal", "mean": -4, "std": 4}},
                         "expression": "a + b"}}
    _, result = run(analyst, params)
    assert result["mean"] == pytest.approx(6, abs=4 * result["standard_error"])
    assert result["std"] == pytest.approx(5, rel=0.02)


@pytest.mark.parametrize("params,path", [
    ({**GBM, "model": "brownian"}, ["model"]),
    ({**GBM, "params": {**GBM["params"], "volatility": -1}}, ["params", "volatility"]),
    ({"model": "scenario", "n_simulations": 10, "params": {
        "variables": {"a": {"dist": "normal", "mean": 0, "std": 1}},
        "expression": "__import__('os').system('true')"}}, ["params", "expression"]),
    ({**GBM, "n_simulations": 10**9, "params": {**GBM["params"], "steps": 1000}},
     ["n_simulations"]),
])
def test_bad_input_is_a_field_level_422(analyst, params, path):
    analyst.assert_param_error("monte_carlo", params, path)


def test_barrier_option_with_sobol_control_variate_and_greeks_on_real_workers(analyst, worker):
    from workers.monte_carlo.engine.closed_forms import barrier_call, black_scholes
    params = {"model": "gbm", "n_simulations": 2**15, "seed": 5, "shards": 3,
              "sampling": "sobol", "control_variate": True,
              "params": {"s0": 100, "rate": 0.05, "volatility": 0.2, "steps": 52,
                         "payoff": "max(S - 100, 0)",
                         "barrier": {"kind": "down-and-out", "level": 90}}}
    _, result = run(analyst, params)
    truth = barrier_call("down-and-out", 100, 100, 90, 0.05, 0.2, 1.0)
    assert result["sampling"] == "sobol" and result["barrier"]["monitoring"] == "continuous"
    assert abs(result["mean"] - truth) < 4 * result["standard_error"]
    assert result["control_variate"]["variance_reduction"] > 1
    greeks = {**params, "sampling": "pseudo", "control_variate": False, "n_simulations": 100_000,
              "params": {**params["params"], "barrier": None, "steps": 4,
                         "greeks": ["pathwise", "likelihood_ratio"]}}
    _, result = run(analyst, greeks)
    bs = black_scholes(100, 100, 0.05, 0.2, 1.0)
    for greek in ("delta", "vega"):
        for estimate in result["greeks"][greek].values():
            assert abs(estimate["value"] - bs[greek]) < 4 * estimate["standard_error"]


def test_an_overflowing_statistic_is_null_in_a_stored_result_not_a_failed_job(analyst, worker):
    params = {"model": "scenario", "n_simulations": 5_000, "seed": 1, "shards": 2,
              "params": {"variables": {"a": {"dist": "normal", "mean": 700, "std": 1}},
                         "expression": "exp(a)"}}
    _, result = run(analyst, params)
    assert result["std"] is None and "std" in result["non_finite"]
    assert result["mean"] > 1e303


@pytest.mark.parametrize("params,path", [
    ({**GBM, "params": {**GBM["params"], "barrier": {"kind": "up-and-out", "level": 50}}},
     ["params", "barrier", "level"]),
    ({**GBM, "params": {**GBM["params"], "greeks": ["bump"]}}, ["params", "greeks"]),
    ({**GBM, "sampling": "sobol", "antithetic": True}, ["antithetic"]),
    ({**GBM, "params": {k: v for k, v in GBM["params"].items() if k != "drift"}},
     ["params", "drift"]),
])
def test_bad_pricing_input_is_a_field_level_422(analyst, params, path):
    analyst.assert_param_error("monte_carlo", params, path)

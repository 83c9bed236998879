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

"""``forecast`` through the API on real workers."""

import math

import numpy as np
import pytest

from workers.forecast.engine import forecast_series


def seasonal_series(n: int = 72) -> list[float]:
    return [100 + 0.8 * t + 12 * math.sin(2 * math.pi * t / 12) for t in range(n)]


def test_many_series_are_forecast_and_gathered_in_order(analyst, worker):
    series = [{"name": f"s{i}", "values": seasonal_series(60 + i)} for i in range(12)]
    response = analyst.submit("forecast", {"series": series, "horizon": 12,
                                           "frequency": "M", "levels": [80, 95]})
    assert response.status_code == 202, response.get_json()
    job = analyst.wait(response.get_json()["id"], timeout=240)
    assert job["state"] == "succeeded", job["error"]
    assert job["progress"]["total"] == 3  # two steps of up to 10 series, and the gather
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    assert [s["name"] for s in result["series"]] == [f"s{i}" for i in range(12)]
    first = result["series"][0]
    assert len(first["forecast"]) == 12 and set(first["intervals"]) == {"80", "95"}
    direct = forecast_series({"values": seasonal_series(60), "horizon": 12, "frequency": "M",
                              "levels": [80, 95]})
    assert first["model"] == direct["model"]
    assert first["forecast"] == pytest.approx(direct["forecast"], rel=1e-9)
    assert first["backtest"] == direct["backtest"]
    lower, upper = first["intervals"]["95"]["lower"], first["intervals"]["95"]["upper"]
    assert all(lo <= f <= hi for lo, f, hi in zip(lower, first["forecast"], upper))


@pytest.mark.parametrize("params,path", [
    ({"series": []}, ["series"]),
    ({"series": [{"values": [1, 2, 3]}]}, ["series", "0", "horizon"]),
    ({"series": [{"values": [1, "x", 3]}], "horizon": 2}, ["series", "0", "values", "1"]),
    ({"series": [{"values": [None, None, 3]}], "horizon": 2}, ["series", "0", "values"]),
    ({"series": [{"values": [1, 2, 3]}], "horizon": 2, "model": "prophet"}, ["model"]),
    ({"series": [{"values": [1, 2, 3], "frequency": "fortnightly"}], "horizon": 2},
     ["series", "0", "frequency"]),
    ({"series": [{"values": [1, 2, 3, 4, 5, 6], "seasonal_periods": [2, 5]}], "horizon": 2},
     ["series", "0", "seasonal_periods", "1"]),
    ({"series": [{"values": [1, 2, 3, 4]}], "horizon": 2, "seasonal_periods": [0.5]},
     ["seasonal_periods", "0"]),
])
def test_bad_series_are_field_level_422s(analyst, params, path):
    analyst.assert_param_error("forecast", params, path)


def test_scenario_forecast_gives_a_fan_chart_and_threshold_probabilities(analyst, worker):
    params = {"series": {"values": seasonal_series(60), "horizon": 6, "frequency": "M"},
              "n_paths": 2000, "seed": 11, "thresholds": [150]}
    response = analyst.submit("scenario_forecast", params)
    assert response.status_code == 202, response.get_json()
    job = analyst.wait(response.get_json()["id"], timeout=120)
    assert job["state"] == "succeeded", job["error"]
    result = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    fan = result["fan_chart"]["quantiles"]
    assert len(fan["p50"]) == 6
    assert all(lo <= mid <= hi for lo, mid, hi in zip(fan["p5"], fan["p50"], fan["p95"]))
    assert result["seed"] == 11 and result["n_paths"] + result["n_invalid"] == 2000
    assert len(result["thresholds"]) == 1
    again = analyst.wait(analyst.submit("scenario_forecast", params).get_json()["id"], 120)
    assert analyst.get(f"/api/v1/jobs/{again['id']}/result").get_json()["result"][
        "fan_chart"] == result["fan_chart"]  # same seed, same paths


def test_scenario_forecast_rejects_too_many_cells(analyst):
    response = analyst.submit("scenario_forecast", {
        "series": {"values": [1.0, 2.0, 3.0, 4.0], "horizon": 1000}, "n_paths": 1_000_000})
    assert response.status_code == 422
    assert "n_paths" in response.get_json()["errors"]["json"]["params"]


def test_auto_on_the_longest_series_allowed_fits_a_recent_window(analyst, worker):
    """100,000 values (the limit) in ``auto`` mode took minutes of a worker; the models are
    now fitted on the last DIA3_FORECAST_FIT_WINDOW (10,000) values and the result says so."""
    walk = (1000 + np.cumsum(np.random.default_rng(3).normal(0, 1, 100_000))).tolist()
    response = analyst.submit("forecast", {"series": [{"values": walk}], "horizon": 10,
                                           "model": "auto"})
    assert response.status_code == 202, response.get_json()
    job = analyst.wait(response.get_json()["id"], timeout=240)
    assert job["state"] == "succeeded", job["error"]
    series = analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]["series"][0]
    assert series["fit_window"] == {"first_index": 90_000, "observations": 10_000,
                                    "limit": 10_000}
    assert len(series["forecast"]) == 10 and len(series["fitted"]) == 100_000
    step = analyst.get(f"/api/v1/jobs/{job['id']}").get_json()["steps"]["series-00000"]
    assert step["runtime"] < 60, step

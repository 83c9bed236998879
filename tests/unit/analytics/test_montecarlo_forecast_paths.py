"""Scenario forecasts: simulated future paths around a fitted forecast model."""

import json

import numpy as np
import pytest

from app.workflows.monte_carlo.errors import MonteCarloInputError
from workers.forecast.engine.scenario_paths import scenario_forecast


def seasonal_series(n: int = 96) -> list[float]:
    t = np.arange(n)
    noise = np.random.default_rng(8).normal(0, 0.02, n)
    return ((300 + 2 * t) * (1 + 0.15 * np.sin(2 * np.pi * t / 12)) * np.exp(noise)).tolist()


@pytest.mark.parametrize("method", ["bootstrap", "normal"])
def test_fan_chart_brackets_the_point_forecast_and_widens(method):
    spec = {"series": {"values": seasonal_series(), "horizon": 12, "season_length": 12,
                       "model": "ets"},
            "n_paths": 4000, "seed": 4, "method": method, "thresholds": [500.0]}  # fmt: skip
    result = scenario_forecast(spec)
    fan = result["fan_chart"]["quantiles"]
    point = np.array(result["forecast"])
    assert np.all(np.array(fan["p5"]) < point) and np.all(point < np.array(fan["p95"]))
    assert np.allclose(fan["p50"], point, rtol=0.02)
    deseasonalised_width = (np.array(fan["p95"]) - np.array(fan["p5"])) / point
    assert deseasonalised_width[-1] > deseasonalised_width[0]
    row = result["thresholds"][0]
    assert 0 <= row["p_above_at_end"] <= row["p_ever_above"] <= 1
    assert len(row["p_above_by_step"]) == 12
    assert len(result["sample_paths"]) == 10 and result["n_paths"] == 4000
    json.dumps(result, allow_nan=False)


def test_same_seed_same_paths_and_normal_coverage_of_random_walk():
    walk = np.cumsum(np.random.default_rng(0).standard_normal(200)) + 50
    spec = {"series": {"values": walk.tolist(), "horizon": 5, "model": "naive"},
            "n_paths": 20_000, "seed": 1, "method": "normal"}  # fmt: skip
    first, second = scenario_forecast(spec), scenario_forecast(spec)
    assert first["fan_chart"] == second["fan_chart"]
    p5, p95 = first["fan_chart"]["quantiles"]["p5"], first["fan_chart"]["quantiles"]["p95"]
    sigma = np.std(np.diff(walk))
    expected = 2 * 1.645 * sigma * np.sqrt(np.arange(1, 6))
    assert np.allclose(np.array(p95) - np.array(p5), expected, rtol=0.05)


def test_input_errors_carry_field_paths():
    with pytest.raises(MonteCarloInputError) as err:
        scenario_forecast({"series": {"values": [1, "x"], "horizon": 2}})
    assert err.value.field == "series.values.1"
    with pytest.raises(MonteCarloInputError) as err:
        scenario_forecast({"series": {"values": [1.0, 2.0, 3.0], "horizon": 2},
                           "method": "magic"})  # fmt: skip
    assert err.value.field == "method"
    with pytest.raises(MonteCarloInputError) as err:
        scenario_forecast({"series": {"values": [1.0, 2.0, 3.0], "horizon": 1000},
                           "n_paths": 1_000_000})  # fmt: skip
    assert err.value.field == "n_paths"

"""Model-level checks: fitted parameters, recovery of synthetic series, metrics."""

import json
import math

import numpy as np
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from workers.forecast.engine import forecast_series, mase, smape
from workers.forecast.engine.arima import fit_arima
from workers.forecast.engine.ets import fit_ets
from workers.forecast.engine.seasonality import classical_adjustment, detect_season_length

RNG = np.random.default_rng(20240601)
PATTERN = 1 + 0.2 * np.sin(2 * np.pi * np.arange(12) / 12)


def trend_seasonal(n: int, noise: float = 0.01, seed: int = 1) -> np.ndarray:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return (200 + 1.5 * t) * PATTERN[t % 12] * (1 + noise * rng.standard_normal(n))


@pytest.mark.parametrize("model", ["auto", "combination", "ets", "theta", "arima"])
def test_recovers_trend_and_seasonality(model):
    y = trend_seasonal(108)
    truth = trend_seasonal(120, noise=0.0)[108:]
    result = forecast_series({"values": y.tolist(), "horizon": 12, "frequency": "MS",
                              "model": model})  # fmt: skip
    forecast = np.array(result["forecast"])
    assert np.mean(np.abs(forecast / truth - 1)) < 0.03
    adjustment = result["model_detail"]["seasonal_adjustment"]
    assert adjustment["kind"] == "multiplicative" and adjustment["period"] == 12
    assert np.allclose(adjustment["indices"], PATTERN, atol=0.02)
    low80, up80 = (np.array(result["intervals"]["80"][k]) for k in ("lower", "upper"))
    low95, up95 = (np.array(result["intervals"]["95"][k]) for k in ("lower", "upper"))
    assert np.all(low95 <= low80) and np.all(low80 <= forecast) and np.all(forecast <= up80)
    assert np.all(up80 <= up95)
    assert np.mean((truth >= low95) & (truth <= up95)) >= 0.9
    assert result["backtest"]["origins"] == 3 and result["backtest"]["smape"] < 5
    json.dumps(result, allow_nan=False)


def test_additive_seasonality_for_negative_data():
    t = np.arange(96)
    y = -50 + 0.3 * t + 5 * np.sin(2 * np.pi * t / 12) + RNG.normal(0, 0.3, 96)
    result = forecast_series({"values": y.tolist(), "horizon": 12, "season_length": 12,
                              "model": "combination"})  # fmt: skip
    t_future = np.arange(96, 108)
    truth = -50 + 0.3 * t_future + 5 * np.sin(2 * np.pi * t_future / 12)
    assert np.max(np.abs(np.array(result["forecast"]) - truth)) < 2.0
    assert result["model_detail"]["seasonal_adjustment"]["kind"] == "additive"
    assert result["model_detail"]["transform"] == "none"


def test_grid_ets_fits_at_least_as_well_as_statsmodels():
    y = trend_seasonal(80, noise=0.05) / PATTERN[np.arange(80) % 12]
    for trend, kwargs in (("N", {}), ("Ad", {"trend": "add", "damped_trend": True})):
        ours = fit_ets(y, trend)
        reference = ETSModel(y, error="add", **kwargs).fit(disp=False)
        assert ours.sse <= reference.sse * 1.01


def test_css_arima_recovers_ar_and_ma_coefficients():
    e = RNG.standard_normal(600)
    ar = np.zeros(600)
    for t in range(1, 600):
        ar[t] = 0.6 * ar[t - 1] + e[t]
    fit = fit_arima(ar, orders=((1, 0),), d=0)
    assert fit.ar[0] == pytest.approx(0.6, abs=0.08)
    ma = e[1:] + 0.5 * e[:-1]
    fit = fit_arima(ma, orders=((0, 1),), d=0)
    assert fit.ma[0] == pytest.approx(0.5, abs=0.08)
    assert fit.sigma == pytest.approx(1.0, abs=0.1)


def test_random_walk_intervals_have_nominal_coverage():
    hits = []
    for seed in range(200):
        walk = np.cumsum(np.random.default_rng(seed).standard_normal(41))
        result = forecast_series({"values": walk[:40].tolist(), "horizon": 1, "model": "naive",
                                  "levels": [80], "backtest_origins": 0})  # fmt: skip
        band = result["intervals"]["80"]
        hits.append(band["lower"][0] <= walk[40] <= band["upper"][0])
    assert 0.72 <= np.mean(hits) <= 0.88


def test_seasonal_naive_repeats_last_season():
    y = np.tile(np.arange(1.0, 8.0), 5)
    result = forecast_series({"values": y.tolist(), "horizon": 10, "season_length": 7,
                              "model": "seasonal_naive"})  # fmt: skip
    assert result["forecast"] == [1, 2, 3, 4, 5, 6, 7, 1, 2, 3]


def test_season_length_detection():
    t = np.arange(140)
    weekly = 10 + np.sin(2 * np.pi * t / 7) + RNG.normal(0, 0.2, 140)
    assert detect_season_length(weekly) == 7
    assert detect_season_length(RNG.normal(size=140)) == 1
    result = forecast_series({"values": weekly.tolist(), "horizon": 7})
    assert result["model_detail"]["season_length"] == 7


def test_classical_adjustment_indices_average_to_one():
    adj = classical_adjustment(trend_seasonal(60), 12)
    assert adj.indices.mean() == pytest.approx(1.0)
    assert np.allclose(adj.restore(adj.adjust(trend_seasonal(60)), 0), trend_seasonal(60))


def test_smape_and_mase_definitions():
    assert smape([100, 200], [110, 180]) == pytest.approx((200 * 10 / 210 + 200 * 20 / 380) / 2)
    assert smape([0, 10], [0, 10]) == 0.0
    assert smape([-10], [10], variant="abs") == 200.0
    assert math.isinf(smape([-10], [10]))  # the M3 form has no abs in its denominator
    assert mase([3, 4], [2, 6], [1, 2, 4, 7]) == pytest.approx(1.5 / 2)
    assert mase([3, 4], [2, 6], [1, 2, 1, 2, 1, 2], season_length=2) != mase(
        [3, 4], [2, 6], [1, 2, 1, 2, 1, 2], season_length=1)
    assert math.isnan(mase([1.0], [1.0], [5.0, 5.0, 5.0]))

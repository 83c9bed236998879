"""``auto`` must not ignore a season the autocorrelation test misses under a strong trend."""

import numpy as np
import pytest

from workers.forecast.engine import forecast_series, smape
from workers.forecast.engine.seasonality import (
    is_seasonal,
    is_strongly_seasonal,
    season_share,
    steadier_adjustment,
)

# M3 series N2473 (monthly, MACRO; Makridakis & Hibon 2000): its training part and the 18
# test points. The trend hides the season from the autocorrelation test.
M3_N2473_TRAIN = [
    4450, 4400, 4650, 4800, 4800, 4750, 5200, 5050, 4900, 5300, 5500, 6050, 5200, 5350, 5450,
    5900, 5800, 5950, 6750, 6500, 6500, 7100, 7100, 8400, 6900, 7400, 7650, 7850, 7750, 8000,
    8950, 9100, 9100, 10050, 10450, 11900, 10000, 11250, 11250, 11650, 11550, 11800, 13050,
    12350, 12200, 13450, 13450, 14450, 12500, 13350, 13600, 13200, 13450, 13600, 14450, 14000,
    13600, 14700, 14450, 15250, 13750, 14450, 14300, 14600, 14700, 14600,
]  # fmt: skip
M3_N2473_TEST = [
    15950, 15250, 14850, 16400, 16250, 17100, 15750, 16200, 16350, 17100, 17100, 17100, 18650,
    17550, 17700, 19100, 18350, 19700,
]  # fmt: skip


def trend_with_season(n: int, additive: bool, seed: int) -> np.ndarray:
    """A steep trend and a season of 20% of the mean level, either of constant size
    (additive) or growing with the level (multiplicative)."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    season = np.sin(2 * np.pi * t / 12)
    if additive:
        return 100 + 5 * t + 0.2 * (100 + 5 * n / 2) * season + 2 * rng.standard_normal(n)
    return (100 + 5 * t) * (1 + 0.2 * season) * (1 + 0.01 * rng.standard_normal(n))


def _pattern(values: np.ndarray) -> np.ndarray:
    """What is left of 12 points after a straight line: the shape of one season."""
    t = np.arange(values.size)
    return values - np.polyval(np.polyfit(t, values, 1), t)


def _check_follows_the_season(train: np.ndarray, test: np.ndarray) -> dict:
    result = forecast_series({"values": train.tolist(), "horizon": test.size, "frequency": "M",
                              "model": "auto"})  # fmt: skip
    forecast = np.array(result["forecast"])
    assert any(n.startswith("season length 12 from frequency") for n in result["notes"])
    assert result["model_detail"]["seasonal_adjustment"]["kind"] != "none"
    following = np.corrcoef(_pattern(forecast[:12]), _pattern(train[-12:]))[0, 1]
    assert following > 0.8
    seasonal_naive = train[-12:][np.arange(test.size) % 12]
    assert smape(test, forecast) <= smape(test, seasonal_naive)
    return result


@pytest.mark.parametrize("additive", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_season_hidden_by_a_trend_is_forecast(additive: bool, seed: int) -> None:
    y = trend_with_season(72 + 18, additive, seed)
    train, test = y[:72], y[72:]
    assert not is_seasonal(train, 12)  # the autocorrelation test misses it
    assert is_strongly_seasonal(train, 12)
    result = _check_follows_the_season(train, test)
    assert any("autocorrelation test missed the season" in n for n in result["notes"])
    if additive:
        assert result["model_detail"]["seasonal_adjustment"]["kind"] == "additive"


def test_a_real_m3_series_with_a_hidden_season_is_forecast_with_it() -> None:
    train, test = np.array(M3_N2473_TRAIN, float), np.array(M3_N2473_TEST, float)
    assert not is_seasonal(train, 12)
    _check_follows_the_season(train, test)


def test_season_share_is_near_zero_for_noise_and_high_for_a_season() -> None:
    rng = np.random.default_rng(7)
    noise = [season_share(100 + rng.standard_normal(60), 12) for _ in range(50)]
    assert np.mean(noise) < 0.15
    assert season_share(trend_with_season(60, additive=False, seed=3), 12) > 0.9
    assert season_share(np.arange(30.0), 12) == 0.0  # fewer than three seasons: untested


def test_steadier_adjustment_keeps_a_constant_season_additive() -> None:
    assert steadier_adjustment(trend_with_season(96, True, 0), 12).kind == "additive"
    assert steadier_adjustment(trend_with_season(96, False, 0), 12).kind == "multiplicative"


def test_a_series_without_a_season_gets_no_forced_adjustment() -> None:
    rng = np.random.default_rng(11)
    y = 200 + np.cumsum(rng.normal(0.5, 3, 96))
    result = forecast_series({"values": y.tolist(), "horizon": 12, "frequency": "M",
                              "model": "auto"})  # fmt: skip
    assert not any("missed the season" in n for n in result["notes"])

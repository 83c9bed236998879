"""Long and multiple seasons, rolling-origin selection, refit backtests, calibrated intervals."""

import numpy as np
import pytest

from workers.forecast.engine import ForecastInputError, forecast_series, validate_series
from workers.forecast.engine.auto import fit_auto
from workers.forecast.engine.backtest import rolling_origin
from workers.forecast.engine.candidates import decomposed_model
from workers.forecast.engine.cv import (
    CvResult,
    Window,
    WindowForecast,
    budget_origins,
    choose,
    max_origins,
    windows,
)
from workers.forecast.engine.decomposition import fourier_components, stl_components
from workers.forecast.engine.intervals import CalibratedModel, conformal_quantile
from workers.forecast.engine.metrics import coverage, mase, msis
from workers.forecast.engine.periods import seasonal_periods
from workers.forecast.engine.selection import FitReport, fit_series


def hourly(n: int, seed: int = 0, noise: float = 0.03) -> np.ndarray:
    """A daily and a weekly season (multiplicative) on a slow trend."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    day = 1 + 0.3 * np.sin(2 * np.pi * t / 24) + 0.1 * np.cos(4 * np.pi * t / 24)
    week = 1 + 0.25 * (((t // 24) % 7) >= 5)  # weekends are busier
    return (500 + 0.05 * t) * day * week * np.exp(noise * rng.standard_normal(n))


def weekly(n: int, seed: int = 0) -> np.ndarray:
    """A yearly season of 52.18 weeks, which no integer period repeats."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return 1000 + 150 * np.sin(2 * np.pi * t / (365.25 / 7)) + 10 * rng.standard_normal(n)


def test_second_period_rule():
    assert seasonal_periods(24, 504) == (24.0, 168.0)  # three weeks of hourly data
    assert seasonal_periods(24, 503) == (24.0,)
    assert seasonal_periods(7, 3 * 366) == (7.0, 365.25)
    assert seasonal_periods(52, 200) == (365.25 / 7,)
    assert seasonal_periods(12, 1000) == (12.0,)
    assert seasonal_periods(1, 1000) == ()
    assert seasonal_periods(24, 1000, [24, 168, 8766]) == (24.0, 168.0)  # 2 cycles needed


def test_mstl_recovers_a_daily_and_a_weekly_season():
    y = hourly(24 * 7 * 6 + 48)
    train, test = y[:-48], y[-48:]
    both = decomposed_model("mstl", train, (24.0, 168.0), "auto")
    daily_only = decomposed_model("mstl", train, (24.0,), "auto")
    assert both.describe()["params"]["seasonal"]["periods"] == [24, 168]
    assert mase(test, both.point(48), train, 24) < 0.6
    assert mase(test, both.point(48), train, 24) < 0.5 * mase(test, daily_only.point(48),
                                                              train, 24)  # fmt: skip


def test_stl_components_sum_to_the_seasonal_part_and_repeat_the_last_cycle():
    y = np.log(hourly(24 * 7 * 4))
    seasonal = stl_components(y, (24, 168))
    assert seasonal.past.shape == y.shape and len(seasonal.cycles) == 2
    future = seasonal.future(200)
    assert np.allclose(future[:24], seasonal.cycles[0] + seasonal.cycles[1][:24])
    assert np.allclose(future[168:192], seasonal.cycles[0] + seasonal.cycles[1][:24])


def test_fourier_terms_fit_a_non_integer_period():
    y = weekly(52 * 5 + 13, seed=3)
    train, test = y[:-13], y[-13:]
    seasonal = fourier_components(train, (365.25 / 7,))
    t = np.arange(train.size, train.size + 13)
    truth = 150 * np.sin(2 * np.pi * t / (365.25 / 7))
    assert np.max(np.abs(seasonal.future(13) - seasonal.future(13).mean()
                         - (truth - truth.mean()))) < 25  # fmt: skip
    model = decomposed_model("fourier", train, (365.25 / 7,), "auto")
    assert np.mean(np.abs(model.point(13) - test)) < 25


def test_forecast_series_takes_seasonal_periods_and_the_new_models():
    y = hourly(24 * 7 * 4, seed=2)
    for name in ("mstl", "mstl_theta", "fourier", "fourier_theta"):
        result = forecast_series(
            {
                "values": y.tolist(),
                "horizon": 24,
                "model": name,
                "seasonal_periods": [24, 168],
                "backtest_origins": 1,
            }
        )
        assert result["model"] == name and len(result["forecast"]) == 24
        assert result["model_detail"]["season_length"] == 24
        assert result["backtest"]["origins"] == 1
    short = forecast_series({"values": y[:60].tolist(), "horizon": 3, "model": "mstl"})
    assert short["model"] != "mstl" and short["fallbacks"][0]["model"] == "mstl"


@pytest.mark.parametrize(
    ("periods", "field"),
    [
        ("24", "s.seasonal_periods"),
        ([], "s.seasonal_periods"),
        ([24, 168, 12, 6, 3], "s.seasonal_periods"),
        ([24, "x"], "s.seasonal_periods.1"),
        ([24, 1], "s.seasonal_periods.1"),
        ([24, 400], "s.seasonal_periods.1"),  # 672 values: at most 336
        ([24, 24], "s.seasonal_periods"),
        ([True], "s.seasonal_periods.0"),
    ],
)
def test_seasonal_periods_are_validated(periods, field):
    spec = {"values": hourly(672).tolist(), "horizon": 3, "seasonal_periods": periods}
    with pytest.raises(ForecastInputError) as err:
        validate_series(spec, "s")
    assert err.value.field == field


def test_seasonal_periods_set_the_season_length_when_it_is_absent():
    spec = validate_series({"values": hourly(400).tolist(), "horizon": 3,
                            "seasonal_periods": [168, 24]})  # fmt: skip
    assert spec["seasonal_periods"] == [24.0, 168.0] and spec["season_length"] == 24


def _wf(point):
    point = np.asarray(point, float)
    return WindowForecast(point, point - 1, point + 1)


def test_choice_never_beats_seasonal_naive_by_losing_to_it():
    y = np.arange(40, dtype=float)
    ws = [Window(30, y[30:35]), Window(25, y[25:30])]
    result = CvResult(
        ws,
        forecasts={
            "seasonal_naive": [_wf(y[30:35] + 1), _wf(y[25:30] + 1)],
            "worse_a": [_wf(y[30:35] + 3), _wf(y[25:30] + 2)],
            "worse_b": [_wf(y[30:35] + 2), _wf(y[25:30] + 4)],
        },
    )
    chosen = choose(y, result, 1, "seasonal_naive")
    # the ensemble of the two worse ones is not better either
    assert chosen.choice == "seasonal_naive"
    result.forecasts["tie"] = [_wf(y[30:35] - 1), _wf(y[25:30] + 1)]
    tied = choose(y, result, 1, "seasonal_naive")
    # a tie goes to seasonal naive, not to the candidate; but their mean errs less than
    # either (opposite errors on the first window), so the blend of the two is chosen
    assert tied.choice == "ensemble" and tied.members == ("tie", "seasonal_naive")
    assert tied.scores["ensemble"] < tied.scores["seasonal_naive"] == tied.scores["tie"]
    result.forecasts["better"] = [_wf(y[30:35]), _wf(y[25:30] + 0.5)]
    assert choose(y, result, 1, "seasonal_naive").choice in ("better", "ensemble")


def test_seasonal_naive_blends_with_the_default_only_when_that_does_no_worse():
    y = np.arange(40, dtype=float)
    ws = [Window(30, y[30:35]), Window(25, y[25:30])]
    same_side = CvResult(
        ws,
        forecasts={
            "seasonal_naive": [_wf(y[30:35] + 1), _wf(y[25:30] + 1)],
            "combination": [_wf(y[30:35] + 3), _wf(y[25:30] + 3)],
        },
    )
    assert choose(y, same_side, 1, "seasonal_naive", ("combination",)).choice == "seasonal_naive"
    opposite = CvResult(
        ws,
        forecasts={
            "seasonal_naive": [_wf(y[30:35] + 1), _wf(y[25:30] + 1)],
            "combination": [_wf(y[30:35] - 2), _wf(y[25:30] - 2)],
        },
    )
    chosen = choose(y, opposite, 1, "seasonal_naive", ("combination",))
    assert chosen.choice == "ensemble" and chosen.members == ("combination", "seasonal_naive")
    assert np.allclose(chosen.forecasts["ensemble"][0].point, y[30:35] - 0.5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auto_scores_its_choice_no_worse_than_seasonal_naive(seed):
    rng = np.random.default_rng(seed)
    season = np.tile(rng.normal(0, 5, 24), 20)
    y = 100 + season + np.cumsum(rng.normal(0, 1, season.size)) * (seed / 2)
    report = FitReport()
    model, choice = fit_auto(y, 24, 24, report, "auto", seasonal_periods(24, y.size))
    scores = report.cv.scores
    assert scores[choice] <= scores["seasonal_naive"]
    assert {"stl_ets", "fourier_ets", "seasonal_naive"} <= set(scores)
    assert len(report.cv.windows) == 3 and all(w.actual.size == 24 for w in report.cv.windows)


def test_windows_do_not_overlap_and_keep_the_minimum_training_length():
    y = np.arange(100.0)
    ws = windows(y, 10, 3, 75)
    assert [w.start for w in ws] == [90, 80]
    assert all(np.array_equal(w.actual, y[w.start : w.start + 10]) for w in ws)


def test_backtest_refits_the_model_on_each_prefix():
    rng = np.random.default_rng(4)
    y = np.r_[100 + rng.normal(0, 1, 60), 300 + rng.normal(0, 1, 20)]  # a level shift
    result = forecast_series({"values": y.tolist(), "horizon": 5, "model": "ets",
                              "season_length": 1, "backtest_origins": 2})  # fmt: skip
    assert result["backtest"]["method"] == "rolling origin, model refitted at each origin"
    expected = []
    for start in (75, 70):
        own = forecast_series({"values": y[:start].tolist(), "horizon": 5, "model": "ets",
                               "season_length": 1, "backtest_origins": 0})  # fmt: skip
        expected.append(mase(y[start : start + 5], own["forecast"], y[:start], 1))
    assert result["backtest"]["mase"] == pytest.approx(np.mean(expected))


def test_backtest_of_auto_reuses_its_validation_windows():
    y = hourly(24 * 7 * 4, seed=5)
    report = FitReport()
    fit_auto(y, 24, 24, report, "auto", seasonal_periods(24, y.size))
    calls = []

    def refit(prefix):
        calls.append(prefix.size)
        return report.refit(prefix)

    out = rolling_origin(refit, y, 24, 4, 24, report.cv)
    assert out["origins"] == 4 and calls == [y.size - 4 * 24]  # three windows were known


def test_conformal_quantile_and_calibrated_widths():
    ratios = np.linspace(0.1, 2.0, 20)
    assert conformal_quantile(ratios, 50) == pytest.approx(ratios[10])
    assert conformal_quantile(ratios, 99) == 2.0
    y = hourly(400, seed=1)
    model, _ = fit_series(y, 24, "theta", 24, FitReport())
    wide = CalibratedModel(model, np.full(30, 2.0))
    lower, upper = model.interval(24, 95)
    wide_lower, wide_upper = wide.interval(24, 95)
    centre = model.point(24)
    assert np.allclose(wide_upper - centre, 2 * (upper - centre))
    assert np.allclose(centre - wide_lower, 2 * (centre - lower))
    assert wide.describe()["interval_calibration"]["factor_95"] == pytest.approx(2.0)


def test_auto_intervals_cover_about_95_percent_of_new_data():
    covers = []
    for seed in range(8):
        rng = np.random.default_rng(100 + seed)
        n = 156
        t = np.arange(n)
        y = 50 + 10 * np.sin(2 * np.pi * t / 12) + np.cumsum(rng.standard_t(4, n))
        result = forecast_series({"values": y[:-12].tolist(), "horizon": 12,
                                  "season_length": 12, "levels": [95],
                                  "backtest_origins": 0})  # fmt: skip
        band = result["intervals"]["95"]
        covers.append(coverage(y[-12:], band["lower"], band["upper"]))
    assert 0.8 <= np.mean(covers) <= 1.0


def test_msis_and_coverage():
    insample = np.array([1.0, 2.0, 3.0, 4.0])  # naive MAE 1
    actual = np.array([5.0, 10.0])
    lower, upper = np.array([4.0, 4.0]), np.array([6.0, 6.0])
    # widths 2 and 2; the second misses by 4: penalty 2 / 0.05 * 4 = 160
    assert msis(actual, lower, upper, insample, 1, 95) == pytest.approx((2 + 2 + 160) / 2)
    assert coverage(actual, lower, upper) == 0.5


def test_a_default_candidate_is_kept_unless_a_benchmark_did_better():
    y = np.arange(40, dtype=float)
    ws = [Window(30, y[30:35]), Window(25, y[25:30])]

    def result(default_error: float, naive_error: float) -> CvResult:
        return CvResult(
            ws,
            forecasts={
                "seasonal_naive": [_wf(y[30:35] + naive_error), _wf(y[25:30] + naive_error)],
                "combination": [_wf(y[30:35] + default_error), _wf(y[25:30] + default_error)],
                "best": [_wf(y[30:35] + 1.0), _wf(y[25:30] + 1.0)],
            },
        )

    assert (
        choose(y, result(1.5, 3.0), 1, "seasonal_naive", ("combination",)).choice == "combination"
    )  # another candidate did better, but no benchmark
    assert (
        choose(y, result(1.05, 1.02), 1, "seasonal_naive", ("combination",)).choice == "best"
    )  # worse than seasonal naive: not kept, the lowest score wins
    assert choose(y, result(1.05, 1.02), 1, "seasonal_naive").choice == "best"  # no default


def test_long_seasons_get_windows_enough_to_cover_the_season():
    assert max_origins(13, (52.18,)) == 5  # weekly: five 13-week windows span a year
    assert max_origins(48, (24.0, 168.0)) == 3  # hourly: the day decides, not the week
    assert max_origins(6, (24.0, 168.0)) == 4  # four 6-hour windows span a day
    assert max_origins(18, (12.0,)) == 3 and max_origins(8, ()) == 3  # short: as before
    assert max_origins(1, (365.25,)) == 8  # never more than SEASON_ORIGINS
    assert budget_origins(900, 4, cap=5) == 5 and budget_origins(3000, 4, cap=5) == 2


def test_auto_validates_a_weekly_series_on_a_full_year_of_windows():
    y = weekly(600, seed=3)
    report = FitReport()
    fit_auto(y, 52, 13, report, "auto", seasonal_periods(52, y.size))
    assert [w.start for w in report.cv.windows] == [y.size - 13 * k for k in range(1, 6)]

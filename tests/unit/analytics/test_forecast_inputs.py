"""Validation errors and documented behaviour for awkward series."""

import json

import numpy as np
import pytest

from workers.forecast.engine import (
    ForecastInputError,
    forecast_series,
    selection,
    validate_series,
)

GOOD = {"values": [float(v) for v in range(1, 31)], "horizon": 3}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"values": None}, "series.0.values"),
        ({"values": "1,2,3"}, "series.0.values"),
        ({"values": [1, 2, "3"]}, "series.0.values.2"),
        ({"values": [1, True, 3]}, "series.0.values.1"),
        ({"values": [1, float("nan"), 3]}, "series.0.values.1"),
        ({"values": [1, float("inf"), 3]}, "series.0.values.1"),
        ({"values": [1, 1e300, 3]}, "series.0.values.1"),
        ({"values": [1, None, None]}, "series.0.values"),
        ({"values": [1, None, None, None, 2]}, "series.0.values"),
        ({"values": []}, "series.0.values"),
        ({"horizon": None}, "series.0.horizon"),
        ({"horizon": 0}, "series.0.horizon"),
        ({"horizon": 2.5}, "series.0.horizon"),
        ({"horizon": True}, "series.0.horizon"),
        ({"horizon": 100_000}, "series.0.horizon"),
        ({"model": "prophet"}, "series.0.model"),
        ({"transform": "sqrt"}, "series.0.transform"),
        ({"levels": [80, 100]}, "series.0.levels.1"),
        ({"levels": "95"}, "series.0.levels"),
        ({"season_length": 0}, "series.0.season_length"),
        ({"season_length": 1000}, "series.0.season_length"),
        ({"backtest_origins": -1}, "series.0.backtest_origins"),
        ({"timestamps": ["2024-01-01"]}, "series.0.timestamps"),
        ({"timestamps": ["not a date"] * 30}, "series.0.timestamps"),
        ({"timestamps": ["2024-01-01"] * 30}, "series.0.timestamps"),
        ({"frequency": "fortnightly"}, "series.0.frequency"),
        ({"frequency": 12}, "series.0.frequency"),
    ],
)
def test_bad_input_names_the_field(change, field):
    spec = {**GOOD, **change}
    if change.get("values", 0) is None:
        del spec["values"]
    if "horizon" in change and change["horizon"] is None:
        del spec["horizon"]
    with pytest.raises(ForecastInputError) as err:
        validate_series(spec, path="series.0")
    assert err.value.field == field
    assert err.value.to_dict() == {"field": field, "message": err.value.message}
    assert isinstance(err.value, ValueError)


def test_spec_must_be_an_object():
    with pytest.raises(ForecastInputError) as err:
        forecast_series([1, 2, 3], path="series.4")
    assert err.value.field == "series.4"


def test_normalised_spec_has_defaults():
    spec = validate_series({"values": [1, None, 3], "horizon": 2})
    assert spec["model"] == "auto" and spec["levels"] == [80.0, 95.0]
    assert spec["values"] == [1.0, None, 3.0] and spec["backtest_origins"] == 3
    json.dumps(spec)


def test_constant_series_gives_flat_forecast_with_zero_width_intervals():
    result = forecast_series({"values": [5.0] * 40, "horizon": 4, "model": "combination"})
    assert result["model"] == "naive" and result["forecast"] == [5.0] * 4
    assert result["intervals"]["95"]["lower"] == result["intervals"]["95"]["upper"] == [5.0] * 4
    assert any("constant" in note for note in result["notes"])


@pytest.mark.parametrize(("n", "expected"), [(2, "naive"), (3, "naive"), (5, "ses"), (9, "ses")])
def test_short_series_fall_back_to_simpler_models(n, expected):
    y = [10.0 + (i % 3) + 0.5 * i for i in range(n)]
    result = forecast_series({"values": y, "horizon": 3, "model": "arima"})
    assert result["model"] == expected
    assert len(result["forecast"]) == 3 and all(np.isfinite(result["forecast"]))
    assert result["fallbacks"][0]["model"] == "arima"
    assert "needs at least 10" in result["fallbacks"][0]["reason"]


def test_short_seasonal_series_skips_seasonal_adjustment_with_a_note():
    result = forecast_series({"values": [float(v % 12) + 1 for v in range(30)], "horizon": 6,
                              "season_length": 12, "model": "ets"})  # fmt: skip
    assert result["model_detail"]["seasonal_adjustment"] == {"kind": "none"}
    assert any("needs 36 observations" in note for note in result["notes"])


def test_transform_option():
    y = (np.linspace(10, 20, 40) * np.exp(np.random.default_rng(1).normal(0, 0.05, 40))).tolist()
    assert forecast_series({"values": y, "horizon": 2})["model_detail"]["transform"] == "log"
    plain = forecast_series({"values": y, "horizon": 2, "transform": "none"})
    assert plain["model_detail"]["transform"] == "none"
    forced = forecast_series({"values": [0.0, *y], "horizon": 2, "transform": "log"})
    assert forced["model_detail"]["transform"] == "none"
    assert any("log transform skipped" in note for note in forced["notes"])


def test_zeros_and_negatives_use_no_log_scale():
    rng = np.random.default_rng(3)
    intermittent = np.where(rng.random(60) < 0.5, 0.0, rng.integers(1, 5, 60)).tolist()
    result = forecast_series({"values": intermittent, "horizon": 6, "model": "auto"})
    assert result["model_detail"]["transform"] == "none"
    assert all(np.isfinite(result["forecast"]))
    negative = (-100 + rng.normal(0, 1, 50).cumsum()).tolist()
    result = forecast_series({"values": negative, "horizon": 6, "model": "combination"})
    assert result["model_detail"]["transform"] == "none"
    assert all(v < 0 for v in result["forecast"])


def test_missing_values_are_repaired_and_reported():
    y = [None, None] + [float(10 + i) for i in range(30)] + [None, None]
    y[10] = None
    result = forecast_series({"values": y, "horizon": 3, "model": "ets"})
    notes = " | ".join(result["notes"])
    assert "1 interior missing" in notes and "2 leading" in notes and "2 trailing" in notes
    assert len(result["forecast"]) == 3 and len(result["fitted"]) == len(y)
    assert result["fitted"][:2] == [None, None]
    assert result["forecast"][0] == pytest.approx(42.0, abs=1.0)  # trend continues past the gap


def test_failing_model_falls_back_and_says_so(monkeypatch):
    def broken(z):
        raise np.linalg.LinAlgError("singular matrix")

    monkeypatch.setitem(selection._FITTERS, "arima", broken)
    y = [float(v + (v % 4)) for v in range(40)]
    result = forecast_series({"values": y, "horizon": 4, "model": "arima"})
    assert result["model"] == "ses"
    assert result["fallbacks"] == [{"model": "arima", "reason": "LinAlgError: singular matrix"}]
    combined = forecast_series({"values": y, "horizon": 4, "model": "combination"})
    assert combined["model"] == "combination"
    members = [m["model"] for m in combined["model_detail"]["params"]["members"]]
    assert "arima" not in members and len(members) == 2


def test_timestamps_give_future_timestamps_and_season():
    stamps = [f"{2015 + i // 12}-{i % 12 + 1:02d}-01" for i in range(48)]
    values = [100 + 10 * ((i % 12) in (5, 6, 7)) + i * 0.1 for i in range(48)]
    result = forecast_series({"values": values, "timestamps": stamps, "horizon": 3})
    assert result["timestamps"] == ["2019-01-01T00:00:00", "2019-02-01T00:00:00",
                                    "2019-03-01T00:00:00"]  # fmt: skip
    assert result["model_detail"]["season_length"] == 12


def test_result_is_strict_json():
    y = (np.linspace(1, 2, 50) ** 3).tolist()
    for model in ("auto", "naive", "seasonal_naive", "theta"):
        json.dumps(forecast_series({"values": y, "horizon": 5, "model": model}), allow_nan=False)


def test_validation_is_idempotent():
    spec = {"values": [1.0, None, 3.0, 4.0], "horizon": 2, "frequency": "M",
            "timestamps": ["2024-01", "2024-02", "2024-03", "2024-04"], "levels": [95, 50]}
    once = validate_series(spec)
    assert validate_series(once) == once
    assert once["frequency"] == "MS" and once["levels"] == [50.0, 95.0]


def test_long_series_are_fitted_on_their_most_recent_window():
    """Only the last ``fit_window`` observations are fitted (the cost of ``auto`` grows with
    the length); the result says which ones, and equals a forecast of just those values."""
    walk = (1000 + np.cumsum(np.random.default_rng(5).normal(0, 1, 3000))).tolist()
    spec = {"values": [None] * 5 + walk, "horizon": 5, "model": "auto"}
    result = forecast_series(spec, fit_window=500)
    assert result["fit_window"] == {"first_index": 2505, "observations": 500, "limit": 500}
    assert len(result["fitted"]) == 3005
    assert set(result["fitted"][:2505]) == {None} and None not in result["fitted"][2505:]
    assert any("last 500 observations" in note for note in result["notes"])
    alone = forecast_series({"values": walk[-500:], "horizon": 5, "model": "auto"})
    assert result["model"] == alone["model"]
    assert result["forecast"] == pytest.approx(alone["forecast"], rel=1e-9)
    unlimited = forecast_series({"values": walk, "horizon": 5, "model": "naive"})
    assert unlimited["fit_window"] == {"first_index": 0, "observations": 3000, "limit": None}

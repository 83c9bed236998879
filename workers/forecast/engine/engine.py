"""Forecast one series end to end: validate, repair gaps, pick the season, fit, report.

Documented behaviour for awkward data:
* missing values (null): leading ones are dropped, interior gaps are filled by linear
  interpolation, trailing ones are forecast (the horizon starts after the last position).
  More than half missing, or fewer than 2 observed values, is a ForecastInputError.
* constant series: the naive forecast with zero-width intervals.
* short series: models needing more data fall back (SES needs 4 points, damped ETS 8,
  ARIMA 10, seasonal adjustment 3 full seasons); 2 or 3 points give the naive forecast.
* zeros and negatives: no multiplicative seasonality and no log scale (both need positive
  data); additive adjustment is used instead. Positive data is modelled on a log scale.
* numerical failures inside a model fall back to a simpler model, listed in ``fallbacks``.
* long series: models are fitted on the most recent ``fit_window`` observations only (the
  cost of fitting, selecting and backtesting grows with the length: ``auto`` on 100,000
  values took minutes). The result's ``fit_window`` says which part of the series was used.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from app.workflows.forecast.validation import validate_series
from workers.anomaly.engine.marks import residual_anomalies
from workers.forecast.engine.auto import fit_model
from workers.forecast.engine.backtest import rolling_origin
from workers.forecast.engine.naive import NaiveFit
from workers.forecast.engine.periods import seasonal_periods
from workers.forecast.engine.pipeline import SeriesModel
from workers.forecast.engine.seasonality import (
    SeasonalAdjustment,
    detect_season_length,
    season_length_from_frequency,
)
from workers.forecast.engine.selection import FitReport

WARM_UP = 3  # fitted values at the start that come from a model's initial state


def _repair(values: list[float | None], report: FitReport) -> tuple[np.ndarray, int, int]:
    """Gap-free series, number of leading values dropped, trailing values to forecast."""
    raw = np.array([np.nan if v is None else v for v in values], dtype=float)
    observed = np.flatnonzero(~np.isnan(raw))
    first, last = int(observed[0]), int(observed[-1])
    y = raw[first : last + 1]
    gaps = np.isnan(y)
    if gaps.any():
        idx = np.arange(y.size)
        y[gaps] = np.interp(idx[gaps], idx[~gaps], y[~gaps])
        report.notes.append(f"{int(gaps.sum())} interior missing values linearly interpolated")
    if first:
        report.notes.append(f"{first} leading missing values dropped")
    trailing = raw.size - 1 - last
    if trailing:
        report.notes.append(f"{trailing} trailing missing values forecast as part of the horizon")
    return y, first, trailing


def _recent(y: np.ndarray, lead: int, fit_window: int | None, report: FitReport
            ) -> tuple[np.ndarray, int]:  # fmt: skip
    """The last ``fit_window`` observations (all of them when None or 0), and the index in
    the submitted values of the first one kept."""
    if not fit_window or y.size <= fit_window:
        return y, lead
    dropped = y.size - fit_window
    report.notes.append(f"fitted on the last {fit_window} observations (fit window); "
                        f"{dropped} older ones left out")
    return y[dropped:], lead + dropped


def _frequency_of(spec: dict) -> str | None:
    if spec["frequency"]:
        return spec["frequency"]
    if spec["timestamps"] and len(spec["timestamps"]) >= 3:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas announces a str -> offset return change
            inferred = pd.infer_freq(pd.DatetimeIndex(spec["timestamps"]))
        return inferred if inferred is None or isinstance(inferred, str) else inferred.freqstr
    return None


def _season_length(spec: dict, y: np.ndarray, frequency: str | None, report: FitReport) -> int:
    if spec["season_length"]:
        return spec["season_length"]
    if frequency:
        m = season_length_from_frequency(frequency)
        if m:
            report.notes.append(f"season length {m} from frequency {frequency}")
            return m
    m = detect_season_length(y)
    report.notes.append(f"season length {m} detected from autocorrelation"
                        if m > 1 else "no seasonality detected")  # fmt: skip
    return m


def _future_timestamps(spec: dict, frequency: str | None, skip: int, h: int) -> list[str] | None:
    """Timestamps of the forecast points (after ``skip`` trailing missing positions)."""
    if not spec["timestamps"] or not frequency:
        return None
    last = pd.Timestamp(spec["timestamps"][-1])
    future = pd.date_range(last, periods=skip + h + 1, freq=frequency)[1:]
    return [ts.isoformat() for ts in future[skip:]]


def fit_series_model(spec: dict, path: str = "", fit_window: int | None = None
                     ) -> tuple[SeriesModel, dict]:  # fmt: skip
    """Validate and fit (on at most the last ``fit_window`` observations); returns the fitted
    model and a context dict (used by simulations)."""
    norm = validate_series(spec, path)
    report = FitReport()
    y, lead, trailing = _repair(norm["values"], report)
    y, lead = _recent(y, lead, fit_window, report)
    frequency = _frequency_of(norm)
    m = _season_length(norm, y, frequency, report)
    h_total = norm["horizon"] + trailing
    if np.ptp(y) == 0:
        report.notes.append("constant series: naive forecast with zero-width intervals")
        model = SeriesModel(SeasonalAdjustment.identity(), False, NaiveFit(y), y.size)
        name = "naive"
        report.refit = lambda prefix: SeriesModel(SeasonalAdjustment.identity(), False,
                                                  NaiveFit(prefix), prefix.size)  # fmt: skip
    else:
        periods = seasonal_periods(m, y.size, norm["seasonal_periods"])
        if len(periods) > 1 or (periods and periods[0] != m):
            report.notes.append("seasonal periods " + ", ".join(f"{p:g}" for p in periods))
        model, name = fit_model(y, m, norm["model"], h_total, report, norm["transform"],
                                periods)  # fmt: skip
    context = {"spec": norm, "y": y, "lead": lead, "trailing": trailing, "season_length": m,
               "frequency": frequency, "model_name": name, "report": report,
               "fit_window": {"first_index": lead, "observations": int(y.size),
                              "limit": fit_window or None}}  # fmt: skip
    return model, context


def _clean(values: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in values]


def forecast_series(spec: dict, path: str = "", fit_window: int | None = None) -> dict:
    """Forecast one series; raises ForecastInputError (with ``field``) for bad input."""
    model, ctx = fit_series_model(spec, path, fit_window)
    norm, report, trailing = ctx["spec"], ctx["report"], ctx["trailing"]
    h = norm["horizon"]
    keep = slice(trailing, trailing + h)
    intervals = {}
    for level in norm["levels"]:
        lower, upper = model.interval(trailing + h, level)
        intervals[f"{level:g}"] = {"lower": _clean(lower[keep]), "upper": _clean(upper[keep])}
    fitted = [None] * ctx["lead"] + _clean(model.fitted())
    fitted += _clean(model.point(trailing)) if trailing else []
    return {
        "model": ctx["model_name"],
        "requested_model": norm["model"],
        "model_detail": {**model.describe(), "season_length": ctx["season_length"]},
        "horizon": h,
        "forecast": _clean(model.point(trailing + h)[keep]),
        "intervals": intervals,
        "timestamps": _future_timestamps(norm, ctx["frequency"], trailing, h),
        "fitted": fitted,
        # points the fit could not explain: anomalies of observed minus fitted
        "anomalies": residual_anomalies(norm["values"], fitted, norm["timestamps"],
                                        warm_up=ctx["lead"] + max(WARM_UP, ctx["season_length"])),
        "fit_window": ctx["fit_window"],
        "backtest": rolling_origin(report.refit, ctx["y"], h, norm["backtest_origins"],
                                   ctx["season_length"], report.cv),  # fmt: skip
        "notes": report.notes,
        "fallbacks": report.fallbacks,
    }

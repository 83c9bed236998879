"""Fit the requested model with fallbacks; ``auto`` picks a model on a holdout.

Fallback rule: a model that raises, or gives non-finite values, or needs more data than the
series has, is replaced by simple exponential smoothing, and that by the naive forecast; each
replacement is reported in ``fallbacks``. ``combination`` averages whichever of ETS, Theta and
ARIMA fit. ``auto`` holds out the last min(h, n/4) points, scores ETS, Theta, ARIMA and the
combination on them by sMAPE (|A|+|F| form), and refits the winner on the whole series; with
too little data for a holdout it uses the combination.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.workflows.forecast.validation import MODELS, TRANSFORMS  # noqa: F401
from workers.forecast.engine.arima import differencing_order, fit_arima
from workers.forecast.engine.base import FittedModel
from workers.forecast.engine.combination import CombinationFit
from workers.forecast.engine.ets import fit_ets, select_ets
from workers.forecast.engine.metrics import smape
from workers.forecast.engine.naive import NaiveFit, SeasonalNaiveFit
from workers.forecast.engine.pipeline import SeriesModel, log_scale_suits
from workers.forecast.engine.seasonality import SeasonalAdjustment, seasonal_adjustment
from workers.forecast.engine.theta import fit_theta

COMBINED = ("ets", "theta", "arima")
ARIMA_ORDERS = ((0, 1), (1, 0), (1, 1))
MIN_LENGTH = {"ets": 4, "theta": 4, "arima": 10, "ses": 4, "combination": 4}
MIN_HOLDOUT_TRAIN = 12


def _arima(z: np.ndarray) -> FittedModel:
    """Small search, d in {0, 1} (d = 2 over-extrapolates), drift allowed when d = 1."""
    return fit_arima(z, orders=ARIMA_ORDERS, drift=True, d=min(differencing_order(z), 1))


_FITTERS: dict[str, Callable[[np.ndarray], FittedModel]] = {
    "ets": lambda z: select_ets(z, ("N", "Ad")),
    "theta": fit_theta,
    "arima": _arima,
    "ses": lambda z: fit_ets(z, "N"),
}


class FitReport:
    """Notes and fallbacks collected while fitting, copied into the output."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.fallbacks: list[dict] = []


def _checked(fitted: FittedModel) -> FittedModel:
    if not (np.all(np.isfinite(fitted.forecast(2))) and np.isfinite(fitted.sigma)):
        raise FloatingPointError("non-finite forecast")
    return fitted


def _try_fit(name: str, z: np.ndarray, report: FitReport) -> FittedModel | None:
    if z.size < MIN_LENGTH[name]:
        report.fallbacks.append({"model": name, "reason": f"needs at least {MIN_LENGTH[name]} "
                                 f"observations, series has {z.size}"})  # fmt: skip
        return None
    try:
        return _checked(_FITTERS[name](z))
    except Exception as exc:  # statsmodels/numpy raise many kinds on odd data
        report.fallbacks.append({"model": name, "reason": f"{type(exc).__name__}: {exc}"})
        return None


def _model_scale(y: np.ndarray, m: int, report: FitReport, transform: str
                 ) -> tuple[SeasonalAdjustment, bool, np.ndarray]:  # fmt: skip
    """Seasonal adjustment, whether to use logs, and the series on the model's scale.

    ``transform``: ``auto`` uses logs when the adjusted data allow it (it helped on M3
    monthly data), ``log`` asks for them (noted and skipped when impossible), ``none``.
    """
    if m > 1 and y.size < 3 * m:
        report.notes.append(f"seasonality not tested: needs {3 * m} observations (3 seasons)")
    adjustment = seasonal_adjustment(y, m)
    z = adjustment.adjust(y)
    log = transform != "none" and log_scale_suits(z)
    if transform == "log" and not log:
        report.notes.append("log transform skipped: it needs positive data of moderate range")
    return adjustment, log, np.log(z) if log else z


def _fit_members(z: np.ndarray, report: FitReport) -> dict[str, FittedModel]:
    fits = {name: _try_fit(name, z, report) for name in COMBINED}
    return {name: fit for name, fit in fits.items() if fit is not None}


def _fit_scaled(name: str, y: np.ndarray, m: int, report: FitReport, transform: str
                ) -> tuple[SeriesModel, str]:  # fmt: skip
    adjustment, log, z = _model_scale(y, m, report, transform)
    if name == "combination":
        members = list(_fit_members(z, report).values())
        inner: FittedModel | None = CombinationFit(z, members) if members else None
    else:
        inner = _try_fit(name, z, report)
    if inner is None and name != "ses":
        inner = _try_fit("ses", z, report)
        name = "ses" if inner is not None else name
    if inner is None:
        return SeriesModel(SeasonalAdjustment.identity(), False, NaiveFit(y), y.size), "naive"
    return SeriesModel(adjustment, log, inner, y.size), name


def _fit_raw(name: str, y: np.ndarray, m: int, report: FitReport) -> tuple[SeriesModel, str]:
    if name == "seasonal_naive":
        if m > 1 and y.size >= m:
            return SeriesModel(SeasonalAdjustment.identity(), False, SeasonalNaiveFit(y, m),
                               y.size), name  # fmt: skip
        reason = "no season length" if m <= 1 else f"needs {m} observations"
        report.fallbacks.append({"model": name, "reason": reason})
    return SeriesModel(SeasonalAdjustment.identity(), False, NaiveFit(y), y.size), "naive"


def _holdout_choice(y: np.ndarray, m: int, h: int, report: FitReport, transform: str) -> str:
    """Score each member and their combination on the last points; members are fitted once."""
    hold = max(1, min(h, y.size // 4))
    train, test = y[:-hold], y[-hold:]
    if train.size < max(MIN_HOLDOUT_TRAIN, 2 * m if m > 1 else 0):
        report.notes.append("auto: series too short for a holdout, using the combination")
        return "combination"
    adjustment, log, z = _model_scale(train, m, FitReport(), transform)
    members = _fit_members(z, FitReport())
    if not members:
        return "combination"
    candidates = {**members, "combination": CombinationFit(z, list(members.values()))}
    scores = {
        name: smape(test, SeriesModel(adjustment, log, fit, train.size).point(hold), "abs")
        for name, fit in candidates.items()
    }
    choice = min(scores, key=scores.get)
    report.notes.append(f"auto: holdout of {hold} points, sMAPE " +
                        ", ".join(f"{k}={v:.2f}" for k, v in scores.items()) +
                        f"; chose {choice}")  # fmt: skip
    return choice


def fit_series(y: np.ndarray, m: int, model: str, h: int, report: FitReport,
               transform: str = "auto") -> tuple[SeriesModel, str]:  # fmt: skip
    """Fit ``model`` to a gap-free, non-constant series; returns the model and its name."""
    if model in ("naive", "seasonal_naive"):
        return _fit_raw(model, y, m, report)
    if model == "auto":
        model = _holdout_choice(y, m, h, report, transform)
    return _fit_scaled(model, y, m, report, transform)

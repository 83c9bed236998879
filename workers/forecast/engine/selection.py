"""Fit the requested model with fallbacks; the classical candidates of ``auto``.

Fallback rule: a model that raises, or gives non-finite values, or needs more data than the
series has, is replaced by simple exponential smoothing, and that by the naive forecast; each
replacement is reported in ``fallbacks``. ``combination`` averages whichever of ETS, Theta and
ARIMA fit. ``_holdout_candidates`` is the classical family ``auto`` validates (see ``auto``):
ETS, Theta, ARIMA and the combination on one scale. When the autocorrelation test finds no
season but the detrended series is strongly seasonal (a strong trend hides a season from the
test), the same models fitted to seasonally adjusted data compete too, so a season the
validation shows to matter is not ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.workflows.forecast.validation import MODELS, TRANSFORMS  # noqa: F401
from workers.forecast.engine.arima import differencing_order, fit_arima
from workers.forecast.engine.base import FittedModel
from workers.forecast.engine.combination import CombinationFit
from workers.forecast.engine.ets import fit_ets, select_ets
from workers.forecast.engine.naive import NaiveFit, SeasonalNaiveFit
from workers.forecast.engine.pipeline import SeriesModel, log_scale_suits
from workers.forecast.engine.seasonality import (
    SeasonalAdjustment,
    is_strongly_seasonal,
    seasonal_adjustment,
    steadier_adjustment,
)
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
        self.cv = None  # auto's rolling-origin validation (cv.CvResult), reused by backtests
        self.refit = None  # prefix -> the fitted model's kind fitted afresh (backtests)


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


def _model_scale(y: np.ndarray, m: int, report: FitReport, transform: str,
                 force_season: bool = False
                 ) -> tuple[SeasonalAdjustment, bool, np.ndarray]:  # fmt: skip
    """Seasonal adjustment, whether to use logs, and the series on the model's scale.

    The season is adjusted when the seasonality test passes, or with ``force_season``
    (``auto``, when a holdout showed a season the test missed matters; the indices are then
    additive or multiplicative, whichever is steadier). ``transform``: ``auto`` uses logs
    when the adjusted data allow it (it helped on M3 monthly data), ``log`` asks for them
    (noted and skipped when impossible), ``none``.
    """
    if force_season:
        adjustment = steadier_adjustment(y, m)
    else:
        if m > 1 and y.size < 3 * m:
            report.notes.append(f"seasonality not tested: needs {3 * m} observations (3 seasons)")
        adjustment = seasonal_adjustment(y, m)
    z = adjustment.adjust(y)
    log = transform != "none" and log_scale_suits(z)
    if transform == "log" and not log:
        report.notes.append("log transform skipped: it needs positive data of moderate range")
    return adjustment, log, np.log(z) if log else z


def _fit_members(z: np.ndarray, report: FitReport, members: tuple[str, ...] = COMBINED
                 ) -> dict[str, FittedModel]:  # fmt: skip
    fits = {name: _try_fit(name, z, report) for name in members}
    return {name: fit for name, fit in fits.items() if fit is not None}


def _fit_scaled(name: str, y: np.ndarray, m: int, report: FitReport, transform: str,
                force_season: bool = False) -> tuple[SeriesModel, str]:  # fmt: skip
    adjustment, log, z = _model_scale(y, m, report, transform, force_season)
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


@dataclass(frozen=True)
class Choice:
    """What ``auto`` picked: a model, and whether it is fitted to seasonally adjusted data
    although the seasonality test finds no season."""

    model: str
    force_season: bool = False

    @property
    def label(self) -> str:
        return f"seasonal {self.model}" if self.force_season else self.model


def _candidates(train: np.ndarray, m: int, transform: str, force_season: bool,
                members: tuple[str, ...] = COMBINED) -> dict[Choice, SeriesModel]:  # fmt: skip
    """The members and their combination fitted once to ``train`` on one scale."""
    adjustment, log, z = _model_scale(train, m, FitReport(), transform, force_season)
    members = _fit_members(z, FitReport(), members)
    if not members:
        return {}
    fits = {**members, "combination": CombinationFit(z, list(members.values()))}
    return {Choice(name, force_season): SeriesModel(adjustment, log, fit, train.size)
            for name, fit in fits.items()}  # fmt: skip


def _holdout_candidates(train: np.ndarray, m: int, transform: str,
                        members: tuple[str, ...] = COMBINED) -> dict[Choice, SeriesModel]:
    candidates = _candidates(train, m, transform, False, members)
    tested_seasonal = any(c.adjustment.kind != "none" for c in candidates.values())
    if m > 1 and not tested_seasonal and is_strongly_seasonal(train, m):
        candidates |= _candidates(train, m, transform, True, members)
    return candidates


def fit_series(y: np.ndarray, m: int, model: str, h: int, report: FitReport,
               transform: str = "auto") -> tuple[SeriesModel, str]:  # fmt: skip
    """Fit ``model`` (not ``auto``, see ``auto.fit_model``) to a gap-free, non-constant
    series; returns the model and its name."""
    if model in ("naive", "seasonal_naive"):
        return _fit_raw(model, y, m, report)
    return _fit_scaled(model, y, m, report, transform)

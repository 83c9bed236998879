"""``auto``: choose among candidate models by rolling-origin cross-validation (see ``cv``).

Candidates: the classical family of ``selection`` (ETS, Theta, ARIMA and their combination
on classically adjusted data, plus the seasonally adjusted variants when a trend hides the
season), seasonal naive, and for long or multiple seasons (``periods``) the STL/MSTL and
Fourier families of ``candidates``. The winner (or the mean of the best three) is
refitted on the whole series, its intervals calibrated on its validation errors
(``intervals``), and its validation forecasts kept for the backtest of the same windows.
With too little data for one window, ``auto`` uses the combination, as before.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from workers.forecast.engine import cv
from workers.forecast.engine.candidates import (
    benchmark_family,
    benchmark_name,
    decomposed_family,
    decomposed_model,
    needs_long_season_models,
)
from workers.forecast.engine.intervals import EnsembleModel, calibrated
from workers.forecast.engine.selection import (
    COMBINED,
    MIN_HOLDOUT_TRAIN,
    FitReport,
    _fit_scaled,
    _holdout_candidates,
    fit_series,
)

LONG_SEASON_CLASSICAL = ("ets", "theta")  # ARIMA's search is slow on long series
CLASSICAL = 1  # index of the classical family in ``families``
DEFAULTS = ("combination", "seasonal combination")  # on short seasons, see ``cv``


def _classical_family(m: int, transform: str, members: tuple[str, ...] = COMBINED
                      ) -> Callable:  # fmt: skip
    def fit(y: np.ndarray) -> dict:
        return {
            c.label: model for c, model in _holdout_candidates(y, m, transform, members).items()
        }

    return fit


def families(m: int, transform: str, periods: tuple[float, ...]) -> list[Callable]:
    """The benchmark, the classical family and, for long or multiple seasons, the STL/MSTL
    and Fourier families (the classical one then without ARIMA, to stay in budget)."""
    long_season = needs_long_season_models(periods)
    classical = LONG_SEASON_CLASSICAL if long_season else COMBINED
    out = [benchmark_family(m, long_season), _classical_family(m, transform, classical)]
    if long_season:
        out += [decomposed_family("stl", periods, transform),
                decomposed_family("fourier", periods, transform)]  # fmt: skip
    return out


def _validation_horizon(n: int, h: int, min_train: int) -> int:
    return h if n - h >= min_train else max(1, min(h, n // 4))


def _fit_named(names: tuple[str, ...], y: np.ndarray, fams: list[Callable],
               family_of: dict[str, int], m: int, report: FitReport, transform: str
               ) -> list:  # fmt: skip
    """The named candidates refitted on the whole series: classical ones as that model
    alone (with its notes and fallbacks), the others through their family (fitted once)."""
    fitted: dict = {}
    for index in sorted({family_of[n] for n in names} - {CLASSICAL}):
        fitted |= fams[index](y)
    out = []
    for name in names:
        if family_of[name] != CLASSICAL:
            out.append(fitted[name])
            continue
        seasonal = name.startswith("seasonal ")
        if seasonal and not any("autocorrelation test missed" in n for n in report.notes):
            report.notes.append(f"auto: seasonal adjustment with period {m}: the "
                                "autocorrelation test missed the season, the validation did "
                                "not")  # fmt: skip
        out.append(_fit_scaled(name.removeprefix("seasonal "), y, m, report, transform,
                               seasonal)[0])  # fmt: skip
    return out


def fit_auto(y: np.ndarray, m: int, h: int, report: FitReport, transform: str,
             periods: tuple[float, ...]) -> tuple[object, str] | None:  # fmt: skip
    """The CV choice fitted to ``y`` and its name; None when no validation window fits."""
    fams = families(m, transform, periods)
    for seasons in (3, 2):  # prefixes of 3 seasons, where the seasonality test can run
        min_train = max(MIN_HOLDOUT_TRAIN, seasons * m)
        hv = _validation_horizon(y.size, h, min_train)
        origins = cv.budget_origins(y.size, len(fams), cap=cv.max_origins(hv, periods))
        ws = cv.windows(y, hv, origins, min_train)
        if ws:
            break
    else:
        return None
    default = () if needs_long_season_models(periods) else DEFAULTS
    result = cv.choose(y, cv.cross_validate(y, fams, hv, ws), m, benchmark_name(m), default)
    if result.choice is None:
        return None
    names = result.members if result.choice == cv.ENSEMBLE else (result.choice,)

    def refit(data: np.ndarray, notes: FitReport) -> object:
        models = _fit_named(names, data, fams, result.family_of, m, notes, transform)
        return EnsembleModel(models, list(names)) if len(names) > 1 else models[0]

    model = calibrated(refit(y, report), cv.standardised_errors(result, result.choice))
    report.cv = result
    report.refit = lambda prefix: refit(prefix, FitReport())
    report.notes.append(
        f"auto: rolling-origin validation, {len(ws)} windows of {hv} steps, mean MASE "
        + ", ".join(f"{k}={v:.3f}" for k, v in sorted(result.scores.items(), key=lambda kv: kv[1]))
        + f"; chose {result.choice}"
        + (
            f" ({cv.COMBINE} of {', '.join(result.members)})"
            if result.choice == cv.ENSEMBLE
            else ""
        )
    )
    return model, result.choice


DECOMPOSED = ("mstl", "mstl_theta", "fourier", "fourier_theta")


def fit_model(y: np.ndarray, m: int, model: str, h: int, report: FitReport, transform: str,
              periods: tuple[float, ...]) -> tuple[object, str]:  # fmt: skip
    """Fit the requested ``model`` (``auto``, a decomposed model or a classical one); sets
    ``report.refit`` (prefix -> the same model fitted afresh) for the backtest."""
    if model == "auto":
        chosen = fit_auto(y, m, h, report, transform, periods)
        if chosen is not None:
            return chosen
        report.notes.append("auto: series too short for a validation window, using the "
                            "combination")  # fmt: skip
        model = "combination"
    report.refit = lambda prefix: _fit_requested(prefix, m, model, h, FitReport(), transform,
                                                 periods)[0]  # fmt: skip
    return _fit_requested(y, m, model, h, report, transform, periods)


def _fit_requested(y: np.ndarray, m: int, model: str, h: int, report: FitReport,
                   transform: str, periods: tuple[float, ...]) -> tuple[object, str]:  # fmt: skip
    if model in DECOMPOSED:
        if periods:
            try:
                return decomposed_model(model, y, periods, transform), model
            except Exception as exc:  # a decomposition can fail on odd data
                report.fallbacks.append({"model": model, "reason": f"{type(exc).__name__}: {exc}"})
        else:
            report.fallbacks.append({"model": model, "reason": "no seasonal period with two "
                                     "full cycles in the series"})  # fmt: skip
        return fit_series(y, m, "ets", h, report, transform)
    return fit_series(y, m, model, h, report, transform)

"""Rolling-origin cross-validation: the windows, the scores, and ``auto``'s choice.

Windows: up to ``MAX_ORIGINS`` origins, the last one ``h`` steps before the end and each
earlier one ``h`` steps before the next, so the validation windows do not overlap and each
is as long as the job's horizon; an origin is used only when the data before it are at
least ``min_train`` long. Where windows of ``h`` steps are shorter than the season (the
shortest period), there are as many as cover it once (``max_origins``, at most
``SEASON_ORIGINS``): weekly data with a 13-week horizon get 5, not 3, so every phase of the
year is validated (M4 Weekly tune part: MASE 2.32 to 2.23; 8 origins did no better, 2.23).
Covering hourly data's second, weekly period too (4 windows of 48 hours) did worse on
M4 Hourly (MASE 0.917 to 0.941), so the shorter period decides.
Every candidate is fitted again on the data before each origin (parameters and all), and
scored by MASE (its in-sample scale from that prefix, so windows of different levels weigh
alike; see ``error_scale`` for series whose scale is zero).

Cost budget: the candidates are fitted in families that share a decomposition; the number
of origins is cut so that (origins × families × observations) stays within ``CV_BUDGET``
observation-fits, at least one origin.

Choice: the candidate with the lowest mean MASE over the windows, among those that fitted on
every window; the mean of the ``ENSEMBLE_SIZE`` best competes too. Seasonal naive (naive
without a season) is always a candidate and wins ties, so ``auto`` never picks a model that
did worse than it on its validation windows; where it wins, its mean with the default (else
the best other candidate) is chosen instead if that mean did no worse. On short seasons (the
classical candidates only) the combination is the default (on seasonally adjusted data when
a trend hides the season and that scores better): it is kept unless seasonal naive did
better on the windows, and naive is no candidate (on M3 monthly it displaced the combination
149 times, sMAPE 14.00 against 13.44). On M3, picking the lowest score among that many
candidates on a few short windows did worse than the combination alone (quarterly sMAPE
9.85 against 9.29; 9.70 when the combination was kept unless beaten by more than 10%).
Two rules that helped quarterly did worse elsewhere and are not used: where seasonal naive
beat the combination, choosing only it or their mean (quarterly 9.35 to 9.25, monthly 13.56
to 13.62, yearly 16.12 to 16.16), and weighting the combination's members by 1 / validation
MASE (with the first: quarterly 9.22, all 3,003 series 12.82 against 12.80).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from workers.forecast.engine.metrics import mase_scale

MAX_ORIGINS = 3
SEASON_ORIGINS = 8  # at most this many windows to cover a long season (see ``max_origins``)
CV_BUDGET = 30_000
ENSEMBLE_SIZE = 3
DEFAULT_MARGIN = float("inf")  # short seasons: only a benchmark displaces the default
COMBINE = "mean"  # how the ensemble combines its members' point forecasts


def combine(points: list[np.ndarray]) -> np.ndarray:
    return np.mean(points, axis=0) if COMBINE == "mean" else np.median(points, axis=0)


ENSEMBLE = "ensemble"
REFERENCE_LEVEL = 95.0

Family = Callable[[np.ndarray], dict]  # prefix -> {candidate name: fitted model}


@dataclass
class Window:
    """One validation window: the origin (length of the prefix) and the actual values."""

    start: int
    actual: np.ndarray


@dataclass
class WindowForecast:
    point: np.ndarray
    lower: np.ndarray  # REFERENCE_LEVEL interval of the prefix-fitted model
    upper: np.ndarray


@dataclass
class CvResult:
    windows: list[Window]
    forecasts: dict[str, list[WindowForecast]] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)
    members: tuple[str, ...] = ()  # of the ensemble
    choice: str | None = None
    family_of: dict[str, int] = field(default_factory=dict)  # candidate -> family index


def windows(y: np.ndarray, h: int, origins: int, min_train: int) -> list[Window]:
    """Non-overlapping windows of ``h`` steps ending at the end of the data, latest first."""
    starts = [y.size - h * (j + 1) for j in range(origins)]
    return [Window(s, y[s : s + h]) for s in starts if s >= min_train]


def max_origins(h: int, periods: tuple[float, ...] = ()) -> int:
    """``MAX_ORIGINS``, or as many windows of ``h`` steps as cover the season (the shortest
    period) once, at most ``SEASON_ORIGINS``, so that every phase of it is validated."""
    cycle = int(np.ceil(min(periods, default=1.0) / max(h, 1)))
    return int(np.clip(cycle, MAX_ORIGINS, max(MAX_ORIGINS, SEASON_ORIGINS)))


def budget_origins(n: int, families: int, budget: int = CV_BUDGET, cap: int = MAX_ORIGINS
                   ) -> int:  # fmt: skip
    return int(np.clip(budget // max(1, n * families), 1, cap))


def _forecast(model, h: int) -> WindowForecast | None:
    point = model.point(h)
    lower, upper = model.interval(h, REFERENCE_LEVEL)
    if not (np.all(np.isfinite(point)) and np.all(np.isfinite(lower))
            and np.all(np.isfinite(upper))):  # fmt: skip
        return None
    return WindowForecast(point, lower, upper)


def cross_validate(y: np.ndarray, families: list[Family], h: int, ws: list[Window]
                   ) -> CvResult:  # fmt: skip
    """Fit every family on every window's prefix; keep the candidates that fitted on all."""
    result = CvResult(ws)
    failed: set[str] = set()
    for w in ws:
        prefix = y[: w.start]
        for index, family in enumerate(families):
            try:
                fitted = family(prefix)
            except Exception:  # a family can fail on a short or odd prefix; others go on
                continue
            for name, model in fitted.items():
                result.family_of[name] = index
                try:
                    out = _forecast(model, h)
                except Exception:
                    out = None
                if out is None:
                    failed.add(name)
                else:
                    result.forecasts.setdefault(name, []).append(out)
    complete = {k: v for k, v in result.forecasts.items()
                if k not in failed and len(v) == len(ws)}  # fmt: skip
    result.forecasts = complete
    return result


def error_scale(prefix: np.ndarray, m: int) -> float:
    """MASE's scale, the in-sample seasonal naive MAE; when the prefix repeats its season
    exactly (scale 0), the lag-1 MAE, then the mean absolute value, then 1."""
    for scale in (mase_scale(prefix, m), mase_scale(prefix, 1), float(np.mean(np.abs(prefix)))):
        if np.isfinite(scale) and scale > 0:
            return scale
    return 1.0


def score(y: np.ndarray, ws: list[Window], forecasts: list[WindowForecast], m: int) -> float:
    """Mean over the windows of the mean absolute error over ``error_scale``."""
    values = [float(np.mean(np.abs(w.actual - f.point))) / error_scale(y[: w.start], m)
              for w, f in zip(ws, forecasts, strict=True)]  # fmt: skip
    values = [v for v in values if np.isfinite(v)]
    return float(np.mean(values)) if len(values) == len(ws) else float("inf")


def ensemble_forecasts(members: list[list[WindowForecast]]) -> list[WindowForecast]:
    """Mean of the members' points; interval distances are the members' mean distances."""
    out = []
    for per_window in zip(*members, strict=True):
        point = combine([f.point for f in per_window])
        below = np.mean([f.point - f.lower for f in per_window], axis=0)
        above = np.mean([f.upper - f.point for f in per_window], axis=0)
        out.append(WindowForecast(point, point - below, point + above))
    return out


def choose(y: np.ndarray, result: CvResult, m: int, benchmark: str,
           default: tuple[str, ...] = ()) -> CvResult:  # fmt: skip
    """Score the candidates and the ensemble of the best; pick the lowest, ties to
    ``benchmark`` (seasonal naive). The best of the ``default`` candidates is kept unless the
    benchmark did better, or another candidate better by more than ``DEFAULT_MARGIN``."""
    scores = {name: score(y, result.windows, f, m) for name, f in result.forecasts.items()}
    ranked = sorted((k for k in scores if k != benchmark and np.isfinite(scores[k])),
                    key=scores.get)  # fmt: skip
    if len(ranked) >= 2:
        members = tuple(ranked[:ENSEMBLE_SIZE])
        result.forecasts[ENSEMBLE] = ensemble_forecasts([result.forecasts[k] for k in members])
        scores[ENSEMBLE] = score(y, result.windows, result.forecasts[ENSEMBLE], m)
        result.members = members
    result.scores = scores
    finite = {k: v for k, v in scores.items() if np.isfinite(v)}
    if finite:
        best = min(finite.values())
        result.choice = benchmark if finite.get(benchmark) == best else min(finite, key=finite.get)
        kept = min((k for k in default if k in finite), key=finite.get, default=None)
        rivals = finite.get(benchmark, float("inf"))
        if (
            kept is not None
            and finite[kept] <= rivals
            and finite[kept] <= (1 + DEFAULT_MARGIN) * best
        ):
            result.choice = kept
        elif result.choice == benchmark and (kept or ranked):
            _blend_with_benchmark(y, result, m, benchmark, kept or ranked[0])
    return result


def _blend_with_benchmark(
    y: np.ndarray, result: CvResult, m: int, benchmark: str, partner: str
) -> None:
    """Where seasonal naive won, its mean with ``partner`` (the default, else the best other
    candidate) replaces the ensemble and is chosen if it did no worse than seasonal naive on
    the windows: a mean of two forecasts is steadier out of sample than either."""
    members = (partner, benchmark)
    blend = ensemble_forecasts([result.forecasts[k] for k in members])
    blend_score = score(y, result.windows, blend, m)
    if blend_score <= result.scores[benchmark]:
        result.forecasts[ENSEMBLE], result.scores[ENSEMBLE] = blend, blend_score
        result.members, result.choice = members, ENSEMBLE


def standardised_errors(result: CvResult, name: str) -> np.ndarray:
    """|error| over the interval's distance on the error's side, pooled over windows."""
    out = []
    for w, f in zip(result.windows, result.forecasts[name], strict=True):
        distance = np.where(w.actual >= f.point, f.upper - f.point, f.point - f.lower)
        ratio = np.abs(w.actual - f.point) / np.where(distance > 0, distance, np.nan)
        out.append(ratio)
    values = np.concatenate(out) if out else np.zeros(0)
    return values[np.isfinite(values)]

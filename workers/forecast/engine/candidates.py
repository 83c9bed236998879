"""Candidate families for long and multiple seasons, fitted together on one prefix.

A family decomposes the series once and fits every model of the family to the adjusted
series, so rolling-origin validation pays for each decomposition once per origin:

* ``decomposed_family("stl" | "fourier")``: STL/MSTL or Fourier-term seasonality, then
  ETS (no trend or damped trend, by AICc) and Theta on the rest (its last ``WINDOW_CYCLES``
  cycles of the longest period), on a log scale when the data are positive (multiplicative
  seasons);
* ``benchmark_family``: seasonal naive (naive without a season), the reference every choice
  is held to, and naive for long seasons.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from workers.forecast.engine.base import FittedModel
from workers.forecast.engine.decomposed import DecomposedFit, recent
from workers.forecast.engine.decomposition import (
    Seasonal,
    fourier_components,
    stl_components,
)
from workers.forecast.engine.ets import fit_ets, min_length, select_ets
from workers.forecast.engine.naive import NaiveFit, SeasonalNaiveFit
from workers.forecast.engine.periods import integer_periods
from workers.forecast.engine.pipeline import SeriesModel, log_scale_suits
from workers.forecast.engine.seasonality import SeasonalAdjustment
from workers.forecast.engine.theta import ThetaFit, fit_theta

LONG_SEASON = 24  # periods from here on (or several periods) get the decomposed families
WINDOW_CYCLES = 4  # the adjusted series' models see the last 4 cycles of the longest period


def inner_window(periods: tuple[float, ...]) -> int:
    return int(np.ceil(WINDOW_CYCLES * max(periods)))

INNER: dict[str, Callable[[np.ndarray], FittedModel]] = {
    "ets": lambda z: select_ets(z, ("N", "Ad")),
    "theta": fit_theta,
}


def _shared_inner(z: np.ndarray, inner: tuple[str, ...]) -> dict[str, FittedModel]:
    """ETS (no trend or damped, by AICc) and Theta, which shares ETS's SES fit."""
    ses = fit_ets(z, "N")
    out: dict[str, FittedModel] = {}
    if "ets" in inner:
        fits = [ses] + ([fit_ets(z, "Ad")] if z.size >= min_length("Ad") else [])
        out["ets"] = min(fits, key=lambda f: f.aicc)
    if "theta" in inner:
        out["theta"] = ThetaFit(z, ses)
    return out


def needs_long_season_models(periods: tuple[float, ...]) -> bool:
    return len(periods) > 1 or any(p >= LONG_SEASON for p in periods)


def _decomposer(method: str, periods: tuple[float, ...]) -> tuple[str, Callable]:
    if method == "fourier":
        return "fourier", lambda z: fourier_components(z, periods)
    ints = integer_periods(periods)
    return ("mstl" if len(ints) > 1 else "stl"), lambda z: stl_components(z, ints)


def decomposed_family(method: str, periods: tuple[float, ...], transform: str,
                      inner: tuple[str, ...] = ("ets", "theta")) -> Callable:  # fmt: skip
    """prefix -> {"<decomposition>_<model>": SeriesModel} for the ``inner`` models."""
    label, decompose = _decomposer(method, periods)

    def fit(y: np.ndarray) -> dict[str, SeriesModel]:
        log = transform != "none" and log_scale_suits(y)
        z = np.log(y) if log else y
        seasonal: Seasonal = decompose(z)
        window = inner_window(periods)
        fits = _shared_inner(recent(z - seasonal.past, window), inner)
        out = {}
        for name in inner:
            fitted = DecomposedFit(z, f"{label}_{name}", decompose, INNER[name], seasonal,
                                   fits[name], window)  # fmt: skip
            out[fitted.name] = SeriesModel(SeasonalAdjustment.identity(), log, fitted, y.size)
        return out

    return fit


def decomposed_model(name: str, y: np.ndarray, periods: tuple[float, ...], transform: str
                     ) -> SeriesModel:  # fmt: skip
    """One decomposed model by its name (``mstl`` = STL/MSTL with ETS, ``mstl_theta``,
    ``fourier`` = Fourier terms with ETS, ``fourier_theta``)."""
    method = "fourier" if name.startswith("fourier") else "stl"
    inner = "theta" if name.endswith("theta") else "ets"
    return next(iter(decomposed_family(method, periods, transform, (inner,))(y).values()))


def benchmark_name(m: int) -> str:
    return "seasonal_naive" if m > 1 else "naive"


def benchmark_family(m: int, with_naive: bool) -> Callable:
    """Seasonal naive, and with ``with_naive`` naive beside it (a strong benchmark on weekly
    data; on M3 monthly it displaced the better combination on a few short windows)."""

    def fit(y: np.ndarray) -> dict[str, SeriesModel]:
        if m > 1 and y.size < m:
            raise ValueError(f"seasonal naive needs {m} observations")
        identity = SeasonalAdjustment.identity()
        out = {"naive": SeriesModel(identity, False, NaiveFit(y), y.size)}
        if m > 1 and not with_naive:
            out = {}
        if m > 1:
            out["seasonal_naive"] = SeriesModel(identity, False, SeasonalNaiveFit(y, m), y.size)
        return out

    return fit

"""The streaming detector: each point is judged from the points before it only, with bounded
memory per series (the last few windows of values and scores), so that a monitoring system
can feed it one point or one chunk at a time and get the same scores as for the whole
series at once.

For each point the residual (the value, or its difference from the median of the same phase
in the last seasons) is compared with robust statistics (median, MAD) of the residuals in
several past windows: a spike statistic (this point), a level-shift statistic (the mean of
the last few points) and a variance statistic (their spread). The largest, as a normal tail
probability, is the raw score; like NAB's HTM detector, the point's final score is the
*likelihood* of the recent mean raw score under the long-run distribution of raw scores,
which turns "this series is always noisy" into low scores and "this is new" into high ones.
Two rules catch what the likelihood smooths away in series that are always noisy: a value
beyond the range of every value before it, and a statistic (the largest z) at least twice
every statistic before it, score high whatever the likelihood says.

Without a given season the detector looks for one once, in a bounded warm-up: the highest
autocorrelation peak of the first ``season_warmup`` values, kept only when it is strong (a
clear cycle such as a daily one; noisy series whose peak is weak stay unseasonal). From then
on the residuals are seasonal, and the residual history of the warm-up is rewritten as
seasonal residuals too, so that the switch raises no alarm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from workers.anomaly.engine.robust import (
    MAD_SCALE,
    MEAN_AD_SCALE,
    score_from_z,
    upper_tail_log10,
)
from workers.anomaly.engine.seasonal import strongest_period

CHUNK = 4096  # points scored per vectorised pass (bounds the temporary arrays)


@dataclass(frozen=True)
class StreamConfig:
    """The detector's settings (defaults chosen on the tuning part of NAB's development
    half, see benchmarks/anomaly_nab.py)."""

    windows: tuple[int, ...] = (128, 512)  # past residuals the robust statistics use
    stats_every: int = 8  # the windows' statistics are recomputed every this many points
    short: int = 4  # points in the level-shift and variance statistics
    raw_cap: float = 80.0  # -log10 tail probability at which the raw score reaches 1
    min_history: int = 12  # points before the first score (score 0 until then)
    level_gamma: float = 0.5  # level z = mean shift / scale * short ** gamma
    variance_weight: float = 1.0
    scale_floor: float = 1.0  # scale = max(MAD, floor * mean absolute deviation, tiny)
    seasons: int = 3  # past seasons whose median is the seasonal baseline
    likelihood_short: int = 10  # recent raw scores averaged by the likelihood
    likelihood_long: int = 4000  # raw scores that make the long-run distribution
    likelihood_min_std: float = 0.02
    likelihood_cap: float = 20.0  # -log10 tail probability of the likelihood that scores 1
    use_likelihood: bool = True
    extreme_tolerance: float = 0.1  # a new high or low beyond this share of the range
    extreme_warmup: int = 288  # values seen before new extremes count
    extreme_score: float = 0.95  # the score of a new extreme (below 1: sensitivity 0 skips it)
    record_ratio: float = 2.0  # a z this many times every earlier z scores extreme_score (0: off)
    season_warmup: int = 750  # values the season is detected on when none is given (0: never)
    season_min_autocorrelation: float = 0.5  # a weaker cycle is not removed


@dataclass
class StreamOutput:
    scores: np.ndarray  # final score per point, [0, 1]
    raw: np.ndarray  # the raw score before the likelihood step
    z: np.ndarray  # the largest z statistic per point
    residuals: np.ndarray  # the value less its seasonal baseline (NaN where missing)


@dataclass
class StreamingDetector:
    """Scores one series chunk by chunk. Memory: the last ``max(windows) + short`` residuals,
    ``seasons * season_length`` values, ``likelihood_long`` raw scores and the largest z
    statistic so far (and, until the season is decided, the ``season_warmup`` first
    values)."""

    season_length: int | None = None
    config: StreamConfig = field(default_factory=StreamConfig)
    _values: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    _residuals: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    _raw: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    _average: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    _residual_count: int = 0
    _high: float = -np.inf
    _low: float = np.inf
    _observed: int = 0
    _z_high: float = 0.0
    _warm: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False)
    _detecting: bool = field(default=False, repr=False)
    seen: int = 0

    def __post_init__(self) -> None:
        self._detecting = not self.season_length and self.config.season_warmup > 0

    def update(self, values: Sequence[float] | np.ndarray) -> StreamOutput:
        """Scores of the next points (NaN for a missing value scores 0 and is skipped)."""
        values = np.asarray(values, dtype=float)
        parts = [
            part
            for i in range(0, len(values), CHUNK)
            for part in self._pieces(values[i : i + CHUNK])
        ]
        if not parts:
            return StreamOutput(np.empty(0), np.empty(0), np.empty(0), np.empty(0))
        return StreamOutput(
            *(
                np.concatenate(arrays)
                for arrays in zip(
                    *((p.scores, p.raw, p.z, p.residuals) for p in parts), strict=True
                )
            )
        )

    # --- one chunk ---------------------------------------------------------------------------

    def _pieces(self, values: np.ndarray) -> list[StreamOutput]:
        """The chunk's scores, cut where the warm-up ends (the season is decided after its
        last value, however the series is cut into chunks)."""
        if not self._detecting:
            return [self._chunk(values)]
        need = self.config.season_warmup - len(self._warm)
        cut = int(np.searchsorted(np.cumsum(np.isfinite(values)), need)) + 1
        if cut > len(values):
            return [self._chunk(values)]
        first = self._chunk(values[:cut])
        self._decide_season()
        return [first, self._chunk(values[cut:])] if cut < len(values) else [first]

    def _decide_season(self) -> None:
        """The season of the warm-up values, if they have a strong one; the residual history
        becomes seasonal (each value less the median of the same phase in the seasons on
        either side within the warm-up)."""
        cfg = self.config
        warm, self._warm, self._detecting = self._warm, np.empty(0), False
        season = strongest_period(warm, len(warm) // 2, cfg.season_min_autocorrelation)
        if season is None:
            return
        self.season_length = season
        self._values = warm[-season * cfg.seasons :]
        offsets = season * np.concatenate(
            [np.arange(-cfg.seasons, 0), np.arange(1, cfg.seasons + 1)]
        )
        lags = np.arange(len(warm))[:, None] + offsets[None, :]
        inside = (lags >= 0) & (lags < len(warm))
        neighbours = np.where(inside, warm[np.clip(lags, 0, len(warm) - 1)], np.nan)
        residuals = warm - np.nanmedian(neighbours, axis=1)
        self._residuals = residuals[len(warm) - len(self._residuals) :]

    def _chunk(self, values: np.ndarray) -> StreamOutput:
        n = len(values)
        observed = np.isfinite(values)
        raw = np.zeros(n)
        best = np.zeros(n)
        residuals = np.full(n, np.nan)
        if observed.any():
            present = values[observed]
            if self._detecting:
                self._warm = np.concatenate([self._warm, present])
            residual = self._residual(present)
            z = self._features(residual)
            raw[observed] = score_from_z(z, self.config.raw_cap)
            best[observed] = z
            residuals[observed] = residual
        scores = self._likelihood(raw[observed]) if self.config.use_likelihood else raw[observed]
        final = np.zeros(n)
        records = self._new_records(best[observed])  # before _new_extremes counts the values
        final[observed] = np.maximum(
            np.maximum(scores, records), self._new_extremes(values[observed])
        )
        self.seen += n
        return StreamOutput(final, raw, best, residuals)

    def _new_records(self, z: np.ndarray) -> np.ndarray:
        """``extreme_score`` where the point's largest z statistic is at least
        ``record_ratio`` times that of every point before it (after ``extreme_warmup``
        values), else 0: the likelihood turns a series' usual bursts into low scores, and
        with them a burst far beyond any of them; this rule keeps the latter."""
        cfg = self.config
        out = np.zeros(len(z))
        if len(z) == 0 or cfg.record_ratio <= 0:
            return out
        high = np.maximum.accumulate(np.concatenate([[self._z_high], z]))[:-1]
        self._z_high = max(self._z_high, float(z.max()))
        seen = self._observed + np.arange(len(z))
        out[(z >= cfg.record_ratio * high) & (high > 0) & (seen >= cfg.extreme_warmup)] = (
            cfg.extreme_score
        )
        return out

    def _new_extremes(self, values: np.ndarray) -> np.ndarray:
        """``extreme_score`` where a value lies beyond the range of every value before it by
        more than ``extreme_tolerance`` of that range (after ``extreme_warmup`` values), else
        0: the first excursion to a new high or low is news whatever the noise says (NAB's
        HTM detector has the same rule)."""
        cfg = self.config
        out = np.zeros(len(values))
        if len(values) == 0:
            return out
        high = np.maximum.accumulate(np.concatenate([[self._high], values]))[:-1]
        low = np.minimum.accumulate(np.concatenate([[self._low], values]))[:-1]
        self._high, self._low = max(self._high, values.max()), min(self._low, values.min())
        margin = cfg.extreme_tolerance * (high - low)
        seen = self._observed + np.arange(len(values))
        self._observed += len(values)
        novel = ((values > high + margin) | (values < low - margin)) & (seen >= cfg.extreme_warmup)
        out[novel] = cfg.extreme_score
        return out

    def _residual(self, values: np.ndarray) -> np.ndarray:
        """The value minus the median of the same phase in the last seasons (the value
        itself without a season, or until the first season has passed)."""
        m, k = self.season_length, self.config.seasons
        if not m or m < 2:
            return values
        buffer = np.concatenate([self._values, values])
        start = len(self._values)
        self._values = buffer[-m * k :]
        out = values.copy()
        positions = np.arange(start, len(buffer))
        lags = positions[:, None] - m * np.arange(1, k + 1)[None, :]
        lagged = np.where(lags >= 0, buffer[np.maximum(lags, 0)], np.nan)
        available = np.isfinite(lagged).any(axis=1)
        if available.any():
            baseline = np.nanmedian(lagged[available], axis=1)
            out[available] = values[available] - baseline
        # the first season is scored against the series' own level; from the second on
        # against the seasonal baseline (a jump in residuals at that point is expected and
        # absorbed by the robust windows within one window length)
        return out

    def _features(self, residual: np.ndarray) -> np.ndarray:
        """The largest z statistic per point over all windows and features."""
        cfg = self.config
        history = len(self._residuals)
        base = self._residual_count - history
        keep = max(cfg.windows) + max(cfg.short, cfg.stats_every)
        buffer = np.concatenate([self._residuals, residual])
        self._residuals = buffer[-keep:]
        self._residual_count += len(residual)
        n, start = len(residual), history
        best = np.zeros(n)
        short_mean, short_std = _short_stats(buffer, start, cfg.short)
        for window in cfg.windows:
            median, scale = _window_stats(buffer, start, base, window, cfg)
            z = np.stack(
                [
                    np.abs(buffer[start:] - median) / scale,
                    np.abs(short_mean - median) / scale * cfg.short**cfg.level_gamma,
                    np.log(np.maximum(short_std / scale, 1.0))
                    * np.sqrt(2 * (cfg.short - 1))
                    * cfg.variance_weight,
                ]
            )
            z[:, ~np.isfinite(median)] = 0.0
            z[~np.isfinite(z)] = 0.0
            best = np.maximum(best, z.max(axis=0))
        return best

    def _likelihood(self, raw: np.ndarray) -> np.ndarray:
        """-log10 of the Gaussian tail probability of the mean of the last
        ``likelihood_short`` raw scores under the mean and spread of that moving average
        over the ``likelihood_long`` points before, scaled to [0, 1] (NAB's HTM detector's
        anomaly likelihood)."""
        cfg = self.config
        n = len(raw)
        if n == 0:
            return raw
        raw_buffer = np.concatenate([self._raw, raw])
        self._raw = raw_buffer[-cfg.likelihood_short :]
        average = _trailing_mean(raw_buffer, len(raw_buffer) - n, cfg.likelihood_short)
        history = len(self._average)
        buffer = np.concatenate([self._average, average])
        self._average = buffer[-cfg.likelihood_long :]
        cumulative = np.concatenate([[0.0], np.cumsum(buffer)])
        squares = np.concatenate([[0.0], np.cumsum(buffer * buffer)])
        end = np.arange(history, history + n)  # the long window ends before each point
        start = np.maximum(end - cfg.likelihood_long, 0)
        count = end - start
        safe = np.maximum(count, 1)
        mean = (cumulative[end] - cumulative[start]) / safe
        var = (squares[end] - squares[start]) / safe - mean * mean
        std = np.sqrt(np.maximum(var, cfg.likelihood_min_std**2))
        out = np.clip(upper_tail_log10((average - mean) / std) / cfg.likelihood_cap, 0.0, 1.0)
        out[count < cfg.min_history] = 0.0
        return out


def _trailing_mean(buffer: np.ndarray, start: int, size: int) -> np.ndarray:
    """Mean of the last ``size`` values (fewer at the start) up to each of ``buffer[start:]``."""
    cumulative = np.concatenate([[0.0], np.cumsum(buffer)])
    ends = np.arange(start, len(buffer)) + 1
    starts = np.maximum(ends - size, 0)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


def _short_stats(buffer: np.ndarray, start: int, short: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the last ``short`` residuals up to each new point."""
    padded = np.concatenate([np.full(max(short - 1 - start, 0), np.nan), buffer])
    offset = len(padded) - len(buffer)
    views = sliding_window_view(padded[start + offset - short + 1 :], short)
    return views.mean(axis=1), views.std(axis=1, ddof=1)


def _window_stats(
    buffer: np.ndarray, start: int, base: int, window: int, cfg: StreamConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Median and robust scale of the ``window`` residuals before each new point
    ``buffer[start:]`` (``base``: the series position of ``buffer[0]``). They are computed
    every ``stats_every`` positions of the series and hold until the next (a point at
    position p uses the window ending before ``p // stats_every * stats_every``): the same
    figures however the series is cut into chunks, and a fraction of the cost. Fewer values
    in the warm-up; NaN before ``min_history``."""
    n = len(buffer) - start
    step = cfg.stats_every
    ends = (base + start + np.arange(n)) // step * step
    unique, inverse = np.unique(ends, return_inverse=True)
    median = np.full(len(unique), np.nan)
    scale = np.full(len(unique), np.nan)
    full = unique >= window
    for k in np.flatnonzero(~full & (unique >= cfg.min_history)):  # warm-up: base is 0
        (median[k],), (scale[k],) = _stats(buffer[None, : unique[k]], cfg)
    if full.any():
        views = sliding_window_view(buffer, window)[unique[full] - window - base]
        median[full], scale[full] = _stats(views, cfg)
    return median[inverse], scale[inverse]


def _stats(views: np.ndarray, cfg: StreamConfig) -> tuple[np.ndarray, np.ndarray]:
    median = np.median(views, axis=1)
    mad = MAD_SCALE * np.median(np.abs(views - median[:, None]), axis=1)
    floor = cfg.scale_floor * MEAN_AD_SCALE * np.abs(views - median[:, None]).mean(axis=1)
    tiny = 1e-9 * (np.abs(median) + 1.0)
    return median, np.maximum(np.maximum(mad, floor), tiny)

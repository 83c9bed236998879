"""Path models (GBM, bootstrap) as log-price random walks advanced one step at a time.

log S_t = a + c*t + s*X_t where X_t is a running sum of per-step draws. GBM draws standard
normals (c, s carry drift and volatility), the bootstrap draws historical log returns
(c = 0, s = 1). Only the running sum X of one block of paths is held in memory, updated in
place each step: a contiguous pass the size of the block, which keeps the engine close to
the raw speed of the random generator. Fan-chart data, sample paths and barrier crossings are
recorded on the way only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from workers.monte_carlo.engine.sketch import QuantileSketch


@dataclass
class Walk:
    """Affine map from the running sum to log price, and how to draw one step."""

    a: float
    c: float
    s: float
    steps: int
    draw: Callable[[np.random.Generator, np.ndarray, int], None]  # fills out with X increments


@dataclass
class Recorder:
    """What to record while walking one block (all optional)."""

    grid: np.ndarray  # step numbers (1..steps) of the fan/sample grid
    fan: list[QuantileSketch] | None = None
    n_sample: int = 0
    thresholds_log: np.ndarray | None = None  # log thresholds for barrier crossing
    samples: np.ndarray | None = field(default=None)
    hit_above: np.ndarray | None = field(default=None)
    hit_below: np.ndarray | None = field(default=None)


def gbm_walk(params: dict) -> Walk:
    dt = params["horizon"] / params["steps"]
    sigma = params["volatility"]
    return Walk(
        a=float(np.log(params["s0"])),
        c=(params["drift"] - 0.5 * sigma**2) * dt,
        s=sigma * float(np.sqrt(dt)),
        steps=params["steps"],
        draw=lambda rng, out, step: rng.standard_normal(out=out),
    )


def bootstrap_walk(params: dict) -> Walk:
    pool = np.asarray(params["log_returns"], dtype=float)
    length = params["block_length"]
    state: dict = {}

    def draw(rng: np.random.Generator, out: np.ndarray, step: int) -> None:
        offset = (step - 1) % length
        if offset == 0 or state.get("size") != out.size:
            state["start"] = rng.integers(0, pool.size, size=out.size)
            state["size"] = out.size
        if length == 1:
            np.take(pool, state["start"], out=out)
        else:
            np.take(pool, state["start"] + offset, mode="wrap", out=out)

    return Walk(a=float(np.log(params["s0"])), c=0.0, s=1.0, steps=params["steps"], draw=draw)


def walk_block(walk: Walk, rng: np.random.Generator, size: int, antithetic: bool,
               rec: Recorder) -> np.ndarray:  # fmt: skip
    """Simulate ``size`` paths; returns terminal log prices (antithetic half mirrored)."""
    half = (size + 1) // 2 if antithetic else size
    x = np.zeros(half)
    buf = np.empty(half)
    if rec.n_sample:
        rec.samples = np.empty((min(rec.n_sample, size), rec.grid.size))
    track = rec.thresholds_log is not None and rec.thresholds_log.size > 0
    if track:
        hi = np.full(half, walk.a)
        lo = np.full(half, walk.a)
        hi_m = lo_m = None
        if antithetic:
            hi_m, lo_m = hi.copy(), lo.copy()
        level = np.empty(half)
    draw = walk.draw
    if not track and rec.fan is None and rec.samples is None:  # the common, lean case
        for step in range(1, walk.steps + 1):
            draw(rng, buf, step)
            x += buf
    else:
        grid_index = {int(step): pos for pos, step in enumerate(rec.grid)}
        for step in range(1, walk.steps + 1):
            draw(rng, buf, step)
            x += buf
            if track:
                _track_extremes(walk, x, step, level, hi, lo, hi_m, lo_m)
            pos = grid_index.get(step)
            if pos is not None:
                _record(walk, x, step, pos, antithetic, size, rec)
    drift = walk.a + walk.c * walk.steps
    terminal = drift + walk.s * x
    if antithetic:
        terminal = np.concatenate([terminal, drift - walk.s * x])[:size]
    if track:
        if antithetic:
            hi = np.concatenate([hi, hi_m])[:size]
            lo = np.concatenate([lo, lo_m])[:size]
        rec.hit_above = (hi[:, None] >= rec.thresholds_log[None, :]).sum(axis=0)
        rec.hit_below = (lo[:, None] <= rec.thresholds_log[None, :]).sum(axis=0)
    return terminal


def _track_extremes(walk, x, step, level, hi, lo, hi_m, lo_m) -> None:
    base = walk.a + walk.c * step
    np.multiply(x, walk.s, out=level)
    if hi_m is not None:  # mirrored paths: base - s*x
        mirrored = base - level
        np.maximum(hi_m, mirrored, out=hi_m)
        np.minimum(lo_m, mirrored, out=lo_m)
    level += base
    np.maximum(hi, level, out=hi)
    np.minimum(lo, level, out=lo)


def _record(walk: Walk, x: np.ndarray, step: int, grid_pos: int, antithetic: bool, size: int,
            rec: Recorder) -> None:  # fmt: skip
    base = walk.a + walk.c * step
    logs = base + walk.s * x
    mirrored = base - walk.s * x if antithetic else None
    if rec.fan is not None:
        rec.fan[grid_pos].add_logs(logs)
        if mirrored is not None:
            rec.fan[grid_pos].add_logs(mirrored[: size - x.size])
    if rec.samples is not None:
        k = rec.samples.shape[0]
        both = logs if mirrored is None else np.concatenate([logs, mirrored])
        rec.samples[:, grid_pos] = np.exp(both[:k])


def walk_for(spec: dict) -> Walk:
    return gbm_walk(spec["params"]) if spec["model"] == "gbm" else bootstrap_walk(spec["params"])


def step_grid(steps: int, points: int) -> np.ndarray:
    """Up to ``points`` evenly spaced step numbers in 1..steps, always including the last."""
    return np.unique(np.round(np.linspace(0, steps, min(steps, points) + 1)).astype(int))[1:]

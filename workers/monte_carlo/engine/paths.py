"""Path models (GBM, bootstrap) as log-price random walks advanced one step at a time.

log S_t = a + c*t + s*X_t where X_t is a running sum of per-step draws. GBM draws standard
normals (c, s carry drift and volatility), the bootstrap draws historical log returns
(c = 0, s = 1). Only the running sum X of one block of paths is held in memory, updated in
place each step: a contiguous pass the size of the block, which keeps the engine close to
the raw speed of the random generator. Fan-chart data, sample paths and barrier crossings are
recorded on the way only when asked for; with ``sobol`` whole paths are built at once from
Sobol points instead (``qmc.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from workers.monte_carlo.engine.barrier_greeks import BarrierGreeks
from workers.monte_carlo.engine.monitors import Levels, Monitor
from workers.monte_carlo.engine.qmc import SobolPaths
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
    levels: Levels | None = None  # price levels watched for barriers and crossings
    #: makes the tracker of a barrier weight's derivatives for (paths, mirrored), if wanted
    barrier_greeks: Callable[[int, bool], BarrierGreeks] | None = None
    samples: np.ndarray | None = field(default=None)


@dataclass
class PathBlock:
    """What a block of paths leaves for the payoff: per path, direct paths then mirrored."""

    terminal: np.ndarray  # log prices at the horizon
    end_sum: np.ndarray  # running sum of the draws at the horizon (−sum for mirrored paths)
    survival: np.ndarray | None  # (levels, paths): probability of never touching each level
    #: derivatives of the barrier's weight (the last survival row) by parameter, if tracked
    weight_derivatives: dict[str, np.ndarray] | None = None


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
               rec: Recorder, sobol: bool = False) -> PathBlock:  # fmt: skip
    """Simulate ``size`` paths (the antithetic half mirrored, or from Sobol points)."""
    if rec.n_sample:
        rec.samples = np.empty((min(rec.n_sample, size), rec.grid.size))
    if sobol:
        source = SobolPaths(walk.steps, rng)
        pieces, offset = [], 0
        for n in source.piece_sizes(size):
            sums = source.paths(n)
            watch = _Watcher(walk, rec, n, 0, offset)
            for step in range(1, walk.steps + 1):
                watch.visit(step, sums[step])
            pieces.append((sums[walk.steps], watch.survival(), watch.weight_derivatives()))
            offset += n
        end = np.concatenate([p[0] for p in pieces])
        survival = None if rec.levels is None else np.concatenate([p[1] for p in pieces], 1)
        derivatives = None if rec.barrier_greeks is None else {
            name: np.concatenate([p[2][name] for p in pieces]) for name in pieces[0][2]}
        return PathBlock(walk.a + walk.c * walk.steps + walk.s * end, end, survival,
                         derivatives)
    half = (size + 1) // 2 if antithetic else size
    x = np.zeros(half)
    buf = np.empty(half)
    draw = walk.draw
    if rec.levels is None and rec.fan is None and rec.samples is None:  # the lean case
        for step in range(1, walk.steps + 1):
            draw(rng, buf, step)
            x += buf
        survival = derivatives = None
    else:
        watch = _Watcher(walk, rec, half, size - half, 0)
        for step in range(1, walk.steps + 1):
            draw(rng, buf, step)
            x += buf
            watch.visit(step, x)
        survival, derivatives = watch.survival(), watch.weight_derivatives()
    end = np.concatenate([x, -x])[:size] if antithetic else x
    return PathBlock(walk.a + walk.c * walk.steps + walk.s * end, end, survival, derivatives)


class _Watcher:
    """Feeds one piece of paths, step by step, to the level monitors and the recorder:
    ``n`` direct paths (the first at path ``offset`` of the block) and the mirror images of
    the first ``n_mirror`` of them."""

    def __init__(self, walk: Walk, rec: Recorder, n: int, n_mirror: int, offset: int) -> None:
        self.walk, self.rec, self.n_mirror, self.offset = walk, rec, n_mirror, offset
        self.grid_index = ({int(step): pos for pos, step in enumerate(rec.grid)}
                           if rec.fan is not None or rec.samples is not None else {})
        self.monitors = []
        if rec.levels is not None:
            variance = walk.s * walk.s
            self.monitors = [Monitor(rec.levels, walk.a, variance, n)]
            if n_mirror:
                self.monitors.append(Monitor(rec.levels, walk.a, variance, n_mirror))
        self.greeks = []
        if rec.barrier_greeks is not None:
            self.greeks = [rec.barrier_greeks(n, False)]
            if n_mirror:
                self.greeks.append(rec.barrier_greeks(n_mirror, True))
        self.level = np.empty(n)

    def visit(self, step: int, x: np.ndarray) -> None:
        pos = self.grid_index.get(step)
        if not self.monitors and pos is None:
            return
        walk = self.walk
        base = walk.a + walk.c * step
        logs = np.multiply(x, walk.s, out=self.level)
        mirrored = base - logs[: self.n_mirror] if self.n_mirror else None
        logs += base
        if self.monitors:
            self.monitors[0].update(logs)
            if mirrored is not None:
                self.monitors[1].update(mirrored)
        if self.greeks:
            self.greeks[0].update(logs, x, step)
            if mirrored is not None:
                self.greeks[1].update(mirrored, x[: self.n_mirror], step)
        if pos is not None:
            self._record(pos, logs, mirrored)

    def _record(self, pos: int, logs: np.ndarray, mirrored: np.ndarray | None) -> None:
        rec = self.rec
        if rec.fan is not None:
            rec.fan[pos].add_logs(logs)
            if mirrored is not None:
                rec.fan[pos].add_logs(mirrored)
        if rec.samples is not None and self.offset < rec.samples.shape[0]:
            both = logs if mirrored is None else np.concatenate([logs, mirrored])
            rows = rec.samples[self.offset:]
            k = min(rows.shape[0], both.size)
            rows[:k, pos] = np.exp(both[:k])

    def weight_derivatives(self) -> dict[str, np.ndarray] | None:
        if not self.greeks:
            return None
        return {name: np.concatenate([g.derivatives[name] for g in self.greeks])
                for name in self.greeks[0].derivatives}

    def survival(self) -> np.ndarray | None:
        if not self.monitors:
            return None
        return np.concatenate([m.survival for m in self.monitors], axis=1)


def walk_for(spec: dict) -> Walk:
    return gbm_walk(spec["params"]) if spec["model"] == "gbm" else bootstrap_walk(spec["params"])


def step_grid(steps: int, points: int) -> np.ndarray:
    """Up to ``points`` evenly spaced step numbers in 1..steps, always including the last."""
    return np.unique(np.round(np.linspace(0, steps, min(steps, points) + 1)).astype(int))[1:]

"""Split a simulation into shards, run one shard, merge shard outputs.

Reproducibility whatever the number of shards: the N simulations are cut into fixed-size
blocks, and block b always draws from ``SeedSequence(seed, spawn_key=(b,))``, i.e. the b-th
child of ``SeedSequence(seed).spawn(...)``. A shard is a contiguous range of blocks. Shards
report per-block moments and integer counts, and the merge folds blocks in block order, so
1 shard or 8 give bit-identical results.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from app.workflows.monte_carlo.errors import MonteCarloInputError
from app.workflows.monte_carlo.planning import fingerprint, n_blocks, plan_shards  # noqa: F401
from workers.monte_carlo.engine import moments
from workers.monte_carlo.engine.paths import Recorder, step_grid, walk_block, walk_for
from workers.monte_carlo.engine.payoffs import PathOutcome
from workers.monte_carlo.engine.scenario import ScenarioModel
from workers.monte_carlo.engine.sketch import QuantileSketch
from workers.monte_carlo.engine.summary import summarise
from workers.monte_carlo.engine.tally import block_tally


def block_rng(seed: int, block: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


class _ShardState:
    """Per-shard accumulators; everything is either per-block or an exact integer count."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        thresholds = np.asarray(spec["thresholds"], dtype=float)
        self.thresholds = thresholds
        self.blocks: list[moments.Moments] = []
        self.pairs: list[moments.Moments] = []
        self.sketch = QuantileSketch(spec["relative_accuracy"])
        self.exact = spec["n_simulations"] <= spec["exact_limit"]
        self.values: list[float] = []
        self.minimum, self.maximum = math.inf, -math.inf
        self.above = np.zeros(thresholds.size, dtype=np.int64)
        self.below = np.zeros(thresholds.size, dtype=np.int64)
        self.crossings: list[list] = []  # per block: tally of touching the watched levels
        self.estimates: list[list] = []  # per block: tally of control variate and Greeks
        self.invalid = 0
        self.fan: list[QuantileSketch] | None = None
        self.samples: np.ndarray | None = None

    def add(self, values: np.ndarray, logs: np.ndarray | None, half: int) -> None:
        finite = np.isfinite(values)
        valid = values[finite]
        self.invalid += int(values.size - valid.size)
        self.blocks.append(moments.block_moments(valid))
        if self.spec["antithetic"]:
            m = values.size - half
            pair = 0.5 * (values[:m] + values[half : half + m])
            self.pairs.append(moments.block_moments(pair[np.isfinite(pair)]))
        if valid.size:
            self.minimum = min(self.minimum, float(valid.min()))
            self.maximum = max(self.maximum, float(valid.max()))
        if logs is not None:
            self.sketch.add_logs(logs[np.isfinite(logs)])
        else:
            self.sketch.add(valid)
        if self.exact:
            self.values.extend(valid.tolist())
        for i, t in enumerate(self.thresholds):
            self.above[i] += int(np.count_nonzero(valid > t))
            self.below[i] += int(np.count_nonzero(valid < t))

    def to_dict(self) -> dict:
        out = {
            "shard": self.spec["shard"],
            "blocks": [list(b) for b in self.blocks],
            "pairs": [list(b) for b in self.pairs],
            "invalid": self.invalid,
            "min": self.minimum if math.isfinite(self.minimum) else None,
            "max": self.maximum if math.isfinite(self.maximum) else None,
            "above": self.above.tolist(),
            "below": self.below.tolist(),
            "sketch": self.sketch.to_dict(),
            "values": self.values if self.exact else None,
            "fan": [s.to_dict() for s in self.fan] if self.fan is not None else None,
            "samples": self.samples.tolist() if self.samples is not None else None,
        }
        if self.spec["model"] != "scenario":
            out["crossings"] = self.crossings
            out["estimates"] = self.estimates
        return out

    def tally(self, into: list[list], columns: np.ndarray | None, half: int,
              cross: bool) -> None:  # fmt: skip
        if columns is not None:
            into.append(block_tally(columns, half, self.spec["antithetic"], cross))


def _block_size(spec: dict, block: int) -> int:
    start = block * spec["block_size"]
    return min(spec["block_size"], spec["n_simulations"] - start)


BlockRunner = Callable[[int, np.random.Generator, int], int]  # (block, rng, size) -> path-steps


def _scenario_runner(spec: dict, state: _ShardState) -> BlockRunner:
    scenario = ScenarioModel(spec["params"])
    sobol = spec["sampling"] == "sobol"

    def run(block: int, rng: np.random.Generator, size: int) -> int:
        values = scenario.block(rng, size, spec["antithetic"], sobol)
        state.add(values, None, _half(spec, size))
        return 0

    return run


def _path_runner(spec: dict, state: _ShardState) -> BlockRunner:
    walk = walk_for(spec)
    outcome = PathOutcome(spec)
    barrier_greeks = outcome.barrier_greeks(walk)
    grid = step_grid(walk.steps, spec["fan_points"])
    fan_blocks = math.ceil(spec["fan_sample"] / spec["block_size"])
    if spec["shard"]["block_start"] < fan_blocks:
        state.fan = [QuantileSketch(spec["relative_accuracy"]) for _ in grid]
    sobol = spec["sampling"] == "sobol"

    def run(block: int, rng: np.random.Generator, size: int) -> int:
        rec = Recorder(
            grid=grid,
            fan=state.fan if block < fan_blocks else None,
            n_sample=spec["sample_paths"] if block == 0 else 0,
            levels=outcome.levels,
            barrier_greeks=barrier_greeks,
        )
        paths = walk_block(walk, rng, size, spec["antithetic"], rec, sobol)
        with np.errstate(over="ignore"):
            prices = np.exp(paths.terminal)
        half = _half(spec, size)
        values = outcome.outcome(paths, prices)
        state.add(values, paths.terminal if outcome.plain_price else None, half)
        state.tally(state.crossings, outcome.touched(paths), half, cross=False)
        state.tally(state.estimates, outcome.estimate_columns(paths, prices, values), half,
                    cross=True)
        if rec.samples is not None:
            state.samples = rec.samples
        return size * walk.steps

    return run


def _half(spec: dict, size: int) -> int:
    """Paths drawn directly in a block; the rest mirror them when antithetic."""
    return (size + 1) // 2 if spec["antithetic"] else size


def run_shard(shard_spec: dict) -> dict:
    """Simulate one shard's blocks; returns mergeable, JSON-serialisable partial statistics."""
    if "shard" not in shard_spec:
        raise MonteCarloInputError("shard", "is required: use plan_shards() to make shard specs")
    spec = shard_spec
    started = time.perf_counter()
    state = _ShardState(spec)
    runner = _scenario_runner if spec["model"] == "scenario" else _path_runner
    run_block = runner(spec, state)
    path_steps = 0
    for block in range(spec["shard"]["block_start"], spec["shard"]["block_stop"]):
        path_steps += run_block(block, block_rng(spec["seed"], block), _block_size(spec, block))
    out = state.to_dict()
    out["spec"] = {k: v for k, v in spec.items() if k != "shard"}
    out["path_steps"] = path_steps
    out["elapsed_seconds"] = time.perf_counter() - started
    return out


def merge_shards(shard_results: list[dict]) -> dict:
    """Combine all shard outputs of one run (any order) into the final result dict."""
    if not shard_results:
        raise MonteCarloInputError("shards", "at least one shard result is required")
    ordered = sorted(shard_results, key=lambda r: r["shard"]["block_start"])
    spec = ordered[0]["spec"]
    tag = fingerprint(spec)
    expected = 0
    for result in ordered:
        info = result["shard"]
        if info["fingerprint"] != tag:
            raise MonteCarloInputError("shards", "a shard result belongs to a different spec")
        if info["block_start"] != expected:
            raise MonteCarloInputError("shards", f"blocks from {expected} are missing or repeated")
        expected = info["block_stop"]
    if expected != n_blocks(spec):
        raise MonteCarloInputError("shards", f"blocks from {expected} are missing")
    with np.errstate(over="ignore", invalid="ignore"):  # overflows end as null: finite.py
        return summarise(spec, ordered)


def simulate(spec: dict, n_shards: int = 1) -> dict:
    """Convenience: plan, run every shard in this process, merge."""
    return merge_shards([run_shard(s) for s in plan_shards(spec, n_shards)])

"""Monte Carlo engine throughput: path-steps per second against the raw numpy normal
generation rate measured in the same run, and 1 process against 2 (shards in a pool).

    python -m benchmarks.montecarlo [--paths 409600] [--steps 252] [--rounds 3]

The machine may be shared, so every figure is the best of ``--rounds`` interleaved runs; the
per-core ratio is also given from process CPU time (less sensitive to other tenants), and the
raw generator is timed on 2 processes to show what scaling the machine allowed in that run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time

import numpy as np

from benchmarks.report import print_table, save
from workers.monte_carlo.engine import merge_shards, plan_shards, run_shard

BLOCK = 8192


def raw_generation_seconds(n_values: int, block: int = BLOCK) -> tuple[float, float]:
    """(wall, CPU) seconds to draw n_values standard normals in blocks, as the engine does."""
    rng = np.random.Generator(np.random.PCG64(12345))
    buf = np.empty(block)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n_values // block):
        rng.standard_normal(out=buf)
    return time.perf_counter() - wall, time.process_time() - cpu


def engine_seconds(spec: dict) -> tuple[float, float]:
    """(wall, CPU) seconds for a whole run in this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    merge_shards([run_shard(s) for s in plan_shards(spec, 1)])
    return time.perf_counter() - wall, time.process_time() - cpu


def _timed_shard(shard: dict) -> dict:
    return run_shard(shard)


def pool_seconds(pool, spec: dict, n_procs: int) -> float:
    started = time.perf_counter()
    merge_shards(pool.map(_timed_shard, plan_shards(spec, n_procs)))
    return time.perf_counter() - started


def raw_pool_seconds(pool, n_values: int, n_procs: int) -> float:
    """Wall seconds for n_procs processes to draw n_values normals between them."""
    started = time.perf_counter()
    pool.map(raw_generation_seconds, [n_values // n_procs] * n_procs)
    return time.perf_counter() - started


def gbm_spec(paths: int, steps: int, **extra) -> dict:
    return {"model": "gbm", "n_simulations": paths, "seed": 1, "block_size": BLOCK,
            "params": {"s0": 100.0, "drift": 0.05, "volatility": 0.2, "horizon": 1.0,
                       "steps": steps}, **extra}  # fmt: skip


def bootstrap_spec(paths: int, steps: int) -> dict:
    returns = np.random.default_rng(0).normal(0.0003, 0.01, 1000).tolist()
    return {"model": "bootstrap", "n_simulations": paths, "seed": 1, "block_size": BLOCK,
            "params": {"returns": returns, "steps": steps}}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paths", type=int, default=BLOCK * 50)
    parser.add_argument("--steps", type=int, default=252)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path_steps = args.paths * args.steps
    variants = {
        "gbm": gbm_spec(args.paths, args.steps),
        "gbm, antithetic": gbm_spec(args.paths, args.steps, antithetic=True),
        "gbm, barrier tracking": gbm_spec(args.paths, args.steps, thresholds=[80, 120],
                                          path_crossing=True),  # fmt: skip
        "bootstrap": bootstrap_spec(args.paths, args.steps),
    }
    raw_times, times = [], {name: [] for name in variants}
    pool_times, raw_pool_times = [], []
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(raw_generation_seconds, [BLOCK * 10] * 2)  # start both workers
        for _ in range(args.rounds):
            raw_times.append(raw_generation_seconds(path_steps))
            for name, spec in variants.items():
                times[name].append(engine_seconds(spec))
            pool_times.append(pool_seconds(pool, variants["gbm"], 2))
            raw_pool_times.append(raw_pool_seconds(pool, path_steps, 2))

    def best(pairs: list[tuple[float, float]], i: int) -> float:
        return min(p[i] for p in pairs)

    raw_wall, raw_cpu = path_steps / best(raw_times, 0), path_steps / best(raw_times, 1)
    rows = [["raw numpy standard_normal", raw_wall / 1e6, 1.0, raw_cpu / 1e6, 1.0]]
    results = {"raw_normals_per_second": {"wall": raw_wall, "cpu": raw_cpu}, "variants": {}}
    for name, ts in times.items():
        wall, cpu = path_steps / best(ts, 0), path_steps / best(ts, 1)
        rows.append([f"engine: {name}", wall / 1e6, wall / raw_wall, cpu / 1e6, cpu / raw_cpu])
        results["variants"][name] = {
            "path_steps_per_second": {"wall": wall, "cpu": cpu},
            "ratio_to_raw": {"wall": wall / raw_wall, "cpu": cpu / raw_cpu},
            "seconds": ts,
        }
    print_table(
        f"Monte Carlo engine, 1 process, {args.paths:,} paths x {args.steps} steps, "
        f"best of {args.rounds} (CPU = per-core rate from process CPU time)",
        ["what", "M/s wall", "x raw wall", "M/s CPU", "x raw CPU"],
        rows,
    )
    one, two = best(times["gbm"], 0), min(pool_times)
    raw_two = path_steps / min(raw_pool_times)
    print_table(
        "1 process vs 2 processes (wall clock)",
        ["what", "M path-steps/s", "speed-up vs 1 process"],
        [["engine: gbm, 2 shards in 2 processes", path_steps / two / 1e6, one / two],
         ["raw generation, 2 processes", raw_two / 1e6, raw_two / raw_wall]],
    )  # fmt: skip
    ratio = results["variants"]["gbm"]["ratio_to_raw"]
    print(f"\nengine/raw, gbm: {ratio['cpu']:.3f} per core (CPU time), {ratio['wall']:.3f} wall"
          "  (target >= 0.9)")  # fmt: skip
    print(f"2-process speed-up: engine {one / two:.2f}x (target >= 1.85x); the raw generator "
          f"reached {raw_two / raw_wall:.2f}x on this machine in the same run")
    results.update(
        paths=args.paths, steps=args.steps, rounds=args.rounds, block_size=BLOCK,
        two_process_seconds=pool_times, raw_seconds=raw_times,
        raw_two_process_seconds=raw_pool_times, two_process_speedup=one / two,
        raw_two_process_speedup=raw_two / raw_wall, load_average=os.getloadavg(),
    )
    save("montecarlo", results)


if __name__ == "__main__":
    main()

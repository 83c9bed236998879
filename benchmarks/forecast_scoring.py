"""Scoring shared by the M3 and M4 forecasting benchmarks: running the engine over series in
a process pool, point and 95% interval scores, and the deterministic tune/check split.

The split: a series belongs to the ``tune`` part when the CRC-32 of its id is even, else to
``check``. Methods are tuned on ``tune`` only; ``check`` is reported beside it as a second
untouched sample (the data folder's other half is held out altogether).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
import zlib

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the pool provides the parallelism

import numpy as np  # noqa: E402

from workers.forecast.engine import forecast_series  # noqa: E402
from workers.forecast.engine.metrics import coverage, mase, msis, smape  # noqa: E402

LEVEL = 95.0
PARTS = ("tune", "check", "all")


def part_of(series_id: str) -> str:
    return "tune" if zlib.crc32(str(series_id).encode()) % 2 == 0 else "check"


def select_part(series: list[dict], part: str) -> list[dict]:
    return series if part == "all" else [s for s in series if part_of(s["id"]) == part]


def run_one(task: tuple[dict, str, str, int, int]) -> dict:
    series, model, transform, horizon, season = task
    started, cpu_started = time.perf_counter(), time.process_time()
    result = forecast_series({"values": series["train"].tolist(), "horizon": horizon,
                              "season_length": season, "model": model,
                              "transform": transform, "levels": [LEVEL],
                              "backtest_origins": 0})  # fmt: skip
    band = result["intervals"][f"{LEVEL:g}"]
    return {"id": series["id"], "forecast": result["forecast"], "lower": band["lower"],
            "upper": band["upper"], "model": result["model"],
            "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu_started}  # fmt: skip


def run_all(series: list[dict], model: str, transform: str, processes: int, horizon: int,
            season: int) -> tuple[dict[str, dict], float]:  # fmt: skip
    """Forecasts by series id, and the wall time."""
    tasks = [(s, model, transform, horizon, season) for s in series]
    started = time.perf_counter()
    if processes > 1:
        with mp.get_context("fork").Pool(processes) as pool:
            outputs = pool.map(run_one, tasks, chunksize=2)
    else:
        outputs = [run_one(t) for t in tasks]
    return {o["id"]: o for o in outputs}, time.perf_counter() - started


def scores(series: list[dict], outputs: dict[str, dict], m: int) -> dict:
    """sMAPE (both forms), MASE, 95% coverage and MSIS over ``series``."""
    actual = np.concatenate([s["test"] for s in series])
    predicted = np.concatenate([outputs[s["id"]]["forecast"] for s in series])
    per = [(mase(s["test"], outputs[s["id"]]["forecast"], s["train"], m),
            msis(s["test"], outputs[s["id"]]["lower"], outputs[s["id"]]["upper"], s["train"], m,
                 LEVEL),
            coverage(s["test"], outputs[s["id"]]["lower"], outputs[s["id"]]["upper"]))
           for s in series]  # fmt: skip
    mases, msises, covers = (np.array(c, dtype=float) for c in zip(*per, strict=True))
    sizes = np.array([s["test"].size for s in series])
    return {
        "series": len(series),
        "smape_m3": smape(actual, predicted), "smape_abs": smape(actual, predicted, "abs"),
        "mase": float(np.nanmean(mases)), "msis": float(np.nanmean(msises)),
        "coverage_95": float(np.sum(covers * sizes) / sizes.sum() * 100),
        "models": _counts(outputs[s["id"]]["model"] for s in series),
        "wall_seconds_per_series": float(np.mean([outputs[s["id"]]["seconds"] for s in series])),
        "cpu_seconds_per_series": float(np.mean([outputs[s["id"]]["cpu_seconds"]
                                                 for s in series])),
    }  # fmt: skip


def _counts(names) -> dict[str, int]:
    out: dict[str, int] = {}
    for name in names:
        out[name] = out.get(name, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))

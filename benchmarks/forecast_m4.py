"""Forecast engine on the M4 Hourly and Weekly series at hand, scored as in the competition.

    python -m benchmarks.forecast_m4 [--group hourly|weekly|all] [--model auto]
        [--transform auto|log|none] [--limit N] [--processes 2] [--data-dir DIR]

The data folder holds half of each group (the other half is held out), so these figures
are a development check, not the M4 result. Hourly: h = 48, season 24, MASE with m = 24.
Weekly: h = 13, season 52 for our models, MASE with m = 1 (the M4 rule). The seasonal
naive (Hourly) and naive (Weekly) benchmarks are recomputed in the same run. The data
directory defaults to $DIA3_M4_DIR, else ../shared/data/m4 relative to the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.forecast_m3 import ROOT, arguments, evaluate
from benchmarks.report import print_table, save
from workers.forecast.engine import mase, smape

GROUPS = {"hourly": (48, 24, 24), "weekly": (13, 52, 1)}  # horizon, season, MASE season


def default_data_dir() -> Path:
    env = os.environ.get("DIA3_M4_DIR")
    return Path(env) if env else (ROOT / ".." / "shared" / "data" / "m4").resolve()


def load_group(data_dir: Path, group: str, limit: int | None) -> list[dict]:
    """Series of one group (wide format, rows padded with empty cells) as dicts."""
    train = pd.read_csv(data_dir / f"{group}_train.csv", index_col=0)
    test = pd.read_csv(data_dir / f"{group}_test.csv", index_col=0)
    series = [{"id": key, "train": train.loc[key].dropna().to_numpy(float),
               "test": test.loc[key].dropna().to_numpy(float)} for key in train.index]  # fmt: skip
    return series[:limit] if limit else series


def benchmark_scores(series: list[dict], horizon: int, m: int) -> tuple[float, float]:
    """sMAPE and MASE of repeating the last season (the last value when ``m`` is 1)."""
    forecasts = [s["train"][-m:][np.arange(horizon) % m] for s in series]
    actual = np.concatenate([s["test"] for s in series])
    value = smape(actual, np.concatenate(forecasts), "abs")
    mases = [mase(s["test"], f, s["train"], m) for s, f in zip(series, forecasts, strict=True)]
    return value, float(np.nanmean(mases))


def main() -> None:
    args = arguments(__doc__, list(GROUPS), "auto", default_data_dir()).parse_args()
    rows, results = [], []
    for group in list(GROUPS) if args.group == "all" else [args.group]:
        horizon, season, mase_season = GROUPS[group]
        series = load_group(args.data_dir, group, args.limit)
        out = evaluate(group, series, args.model, args.transform, args.processes,
                       horizon, season, mase_season)  # fmt: skip
        out["benchmark_smape"], out["benchmark_mase"] = benchmark_scores(
            series, horizon, mase_season)
        results.append(out)
        rows.append([group, out["series"], horizon, out["smape_abs"], out["mase"],
                     out["benchmark_smape"], out["benchmark_mase"], out["wall_seconds"],
                     out["cpu_seconds_per_series"] * 1000])  # fmt: skip
    print_table(
        f"M4 (development half), model={args.model}, transform={args.transform}, "
        f"{args.processes} processes" + (f", first {args.limit} series" if args.limit else ""),
        ["group", "series", "h", "sMAPE", "MASE", "bench sMAPE", "bench MASE", "wall s",
         "ms/series"],
        rows,
    )  # fmt: skip
    save("forecast_m4", {"model": args.model, "transform": args.transform,
                         "processes": args.processes, "limit": args.limit,
                         "reference": "seasonal naive (hourly), naive (weekly)",
                         "groups": results})  # fmt: skip


if __name__ == "__main__":
    main()

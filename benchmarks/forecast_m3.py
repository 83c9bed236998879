"""Forecast engine on the M3 competition data, scored as in the competition.

    python -m benchmarks.forecast_m3 [--group monthly|quarterly|yearly|other|all]
        [--model combination] [--transform auto|log|none] [--limit N] [--processes 2]
        [--data-dir DIR] [--profile N]

sMAPE is the M3 definition (200|A-F|/(A+F), averaged over all forecast points of a group);
MASE and the MSIS of 95% intervals (M4's interval score, scaled like MASE) are averaged over
series (m = 12/4/1/1), with the share of test points inside the intervals. Published Naive2
and Theta figures are printed beside ours (Makridakis & Hibon 2000 via the data folder's
PUBLISHED_BENCHMARKS.md; Theta "recomputed" is the original submission rescored on the same
data). The data directory
defaults to $DIA3_M3_DIR, else ../shared/data/m3 relative to the repository root.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
from pathlib import Path

import pandas as pd

from benchmarks.forecast_scoring import run_all, run_one, scores
from benchmarks.report import print_table, save

ROOT = Path(__file__).resolve().parent.parent
GROUPS = {"yearly": (6, 1), "quarterly": (8, 4), "monthly": (18, 12), "other": (8, 1)}
PUBLISHED = {  # group: (Naive2, Theta recomputed, Theta as published)
    "yearly": (17.88, 16.87, None),
    "quarterly": (9.95, 8.96, None),
    "monthly": (16.91, 13.94, 13.85),
    "other": (6.30, 4.41, None),
}


def default_data_dir() -> Path:
    env = os.environ.get("DIA3_M3_DIR")
    return Path(env) if env else (ROOT / ".." / "shared" / "data" / "m3").resolve()


def load_group(data_dir: Path, group: str, limit: int | None) -> list[dict]:
    """Series of one group as dicts: id, train values, test values."""
    train = pd.read_csv(data_dir / f"m3_{group}_train.csv").sort_values(["unique_id", "t"])
    test = pd.read_csv(data_dir / f"m3_{group}_test.csv").sort_values(["unique_id", "t"])
    tests = {k: g["y"].to_numpy(float) for k, g in test.groupby("unique_id", sort=False)}
    series = [{"id": k, "train": g["y"].to_numpy(float), "test": tests[k]}
              for k, g in train.groupby("unique_id", sort=True)]  # fmt: skip
    return series[:limit] if limit else series


def evaluate(group: str, series: list[dict], model: str, transform: str, processes: int,
             horizon: int, season: int) -> dict:
    """Forecast every series with ``season`` and score points and 95% intervals."""
    outputs, wall = run_all(series, model, transform, processes, horizon, season)
    out = scores(series, outputs, season)
    return {"group": group, "horizon": horizon, **out, "wall_seconds": wall,
            "series_per_second": len(series) / wall}  # fmt: skip


def profile(series: list[dict], group: str, model: str, transform: str) -> None:
    horizon, season = GROUPS[group]
    profiler = cProfile.Profile()
    profiler.enable()
    for s in series:
        run_one((s, model, transform, horizon, season))
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def arguments(description: str, groups: list[str], model: str, data_dir: Path
              ) -> argparse.ArgumentParser:  # fmt: skip
    """The options every forecasting benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--group", default="all", choices=[*groups, "all"])
    parser.add_argument("--model", default=model)
    parser.add_argument("--transform", default="auto", choices=["auto", "log", "none"])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=data_dir)
    return parser


def _overall(results: list[dict]) -> dict:
    """sMAPE over every forecast point of the groups run (M3's "all series" figure)."""
    points = sum(r["series"] * r["horizon"] for r in results)
    total = sum(r["smape_m3"] * r["series"] * r["horizon"] for r in results)
    return {"series": sum(r["series"] for r in results), "smape_m3": total / points}


def main() -> None:
    parser = arguments(__doc__, list(GROUPS), "combination", default_data_dir())
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="profile N series in-process instead of benchmarking")  # fmt: skip
    args = parser.parse_args()
    groups = list(GROUPS) if args.group == "all" else [args.group]
    if args.profile:
        series = load_group(args.data_dir, groups[0], args.profile)
        profile(series, groups[0], args.model, args.transform)
        return
    rows, results = [], []
    for group in groups:
        out = evaluate(group, load_group(args.data_dir, group, args.limit), args.model,
                       args.transform, args.processes, *GROUPS[group])  # fmt: skip
        naive2, theta, theta_pub = PUBLISHED[group]
        out.update(published_naive2=naive2, published_theta_recomputed=theta,
                   published_theta=theta_pub)  # fmt: skip
        results.append(out)
        rows.append([group, out["series"], out["horizon"], out["smape_m3"], naive2, theta,
                     theta_pub if theta_pub else "", out["mase"], out["coverage_95"],
                     out["msis"], out["wall_seconds"],
                     out["cpu_seconds_per_series"] * 1000])  # fmt: skip
    everything = _overall(results)
    rows.append(["all", everything["series"], "", everything["smape_m3"], "", "", "", "", "",
                 "", "", ""])  # fmt: skip
    print_table(
        f"M3, model={args.model}, transform={args.transform}, {args.processes} processes"
        + (f", first {args.limit} series per group" if args.limit else ""),
        ["group", "series", "h", "sMAPE", "Naive2 pub", "Theta recomp", "Theta pub", "MASE",
         "cover 95", "MSIS", "wall s", "CPU ms/series"],
        rows,
    )  # fmt: skip
    save("forecast_m3", {"model": args.model, "transform": args.transform,
                         "processes": args.processes, "limit": args.limit,
                         "groups": results, "all": everything})  # fmt: skip


if __name__ == "__main__":
    main()

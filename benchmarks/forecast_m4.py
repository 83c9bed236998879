"""Forecast engine on the M4 Hourly and Weekly series at hand, scored as in the competition.

    python -m benchmarks.forecast_m4 [--group hourly|weekly|all] [--model auto]
        [--part tune|check|all] [--transform auto|log|none] [--limit N] [--processes 2]
        [--data-dir DIR]

The data folder holds half of each group (the other half is held out), so these figures
are a development check, not the M4 result. That half is split once more (see
``forecast_scoring``): ``tune`` is what methods were tuned on, ``check`` was not looked at
while tuning; both are printed. Hourly: h = 48, season 24 (a second, weekly period of 168
is added by the engine), MASE and MSIS with m = 24. Weekly: h = 13, season 52 for our models,
MASE and MSIS with m = 1 (the M4 rule). Naive2 (naive on classically adjusted data, the
OWA reference) and seasonal naive (Hourly) or naive (Weekly) are recomputed in the same run;
M4's published figures over the whole group are printed beside ours. The data directory
defaults to $DIA3_M4_DIR, else ../shared/data/m4 relative to the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.forecast_m3 import ROOT, arguments
from benchmarks.forecast_scoring import PARTS, run_all, scores, select_part
from benchmarks.report import print_table, save
from workers.forecast.engine import mase, smape
from workers.forecast.engine.seasonality import seasonal_adjustment

GROUPS = {"hourly": (48, 24, 24), "weekly": (13, 52, 1)}  # horizon, season, MASE season
PUBLISHED = {  # M4 "Evaluation and Ranks", whole group: method -> (sMAPE, MASE)
    "hourly": {"Naive2": (18.383, 2.395), "seasonal naive": (13.912, 1.193),
               "Theta": (18.138, 2.455), "Smyl (ES-RNN)": (9.328, 0.893),
               "best hourly entry": (8.913, 0.801)},
    "weekly": {"Naive2": (9.161, 2.777), "Theta": (9.093, 2.637), "Damped": (8.866, 2.404),
               "Smyl (ES-RNN)": (7.817, 2.356), "best weekly entry": (6.582, 2.107)},
}  # fmt: skip


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


def seasonal_naive(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    """Repeat the last season (the last value when ``m`` is 1)."""
    return y[-m:][np.arange(horizon) % m]


def naive2(y: np.ndarray, horizon: int, m: int) -> np.ndarray:
    """M4's Naive2: the last value of the classically adjusted series, reseasonalised (the
    adjustment only when the 90% autocorrelation test finds the season)."""
    adjustment = seasonal_adjustment(y, m)
    level = adjustment.adjust(y)[-1]
    return adjustment.restore(np.full(horizon, level), y.size)


def benchmark_scores(series: list[dict], forecast, horizon: int, m: int, mase_m: int
                     ) -> tuple[float, float]:  # fmt: skip
    forecasts = [forecast(s["train"], horizon, m) for s in series]
    actual = np.concatenate([s["test"] for s in series])
    value = smape(actual, np.concatenate(forecasts), "abs")
    mases = [mase(s["test"], f, s["train"], mase_m) for s, f in zip(series, forecasts,
                                                                     strict=True)]  # fmt: skip
    return value, float(np.nanmean(mases))


def owa(smape_value: float, mase_value: float, naive2_scores: tuple[float, float]) -> float:
    return 0.5 * (smape_value / naive2_scores[0] + mase_value / naive2_scores[1])


def _part_rows(group: str, series: list[dict], outputs: dict, horizon: int, season: int,
               mase_season: int, parts: list[str]) -> tuple[list, dict]:  # fmt: skip
    rows, out = [], {}
    for part in parts:
        chosen = select_part(series, part)
        if not chosen:
            continue
        ours = scores(chosen, outputs, mase_season)
        ref = benchmark_scores(chosen, naive2, horizon, mase_season if season != 52 else 1,
                               mase_season)  # fmt: skip
        snaive = benchmark_scores(chosen, seasonal_naive, horizon, mase_season, mase_season)
        ours.update(owa=owa(ours["smape_abs"], ours["mase"], ref), naive2_smape=ref[0],
                    naive2_mase=ref[1], snaive_smape=snaive[0], snaive_mase=snaive[1],
                    snaive_owa=owa(*snaive, ref))  # fmt: skip
        out[part] = ours
        rows.append([group, part, ours["series"], ours["smape_abs"], ours["mase"], ours["owa"],
                     ours["coverage_95"], ours["msis"], snaive[0], snaive[1], ours["snaive_owa"],
                     ref[0], ref[1]])  # fmt: skip
    return rows, out


def main() -> None:
    parser = arguments(__doc__, list(GROUPS), "auto", default_data_dir())
    parser.add_argument("--part", default="all", choices=PARTS)
    args = parser.parse_args()
    rows, published_rows, results = [], [], []
    for group in list(GROUPS) if args.group == "all" else [args.group]:
        horizon, season, mase_season = GROUPS[group]
        series = select_part(load_group(args.data_dir, group, None), args.part)
        series = series[: args.limit] if args.limit else series
        outputs, wall = run_all(series, args.model, args.transform, args.processes, horizon,
                                season)  # fmt: skip
        parts = ["tune", "check", "all"] if args.part == "all" else [args.part]
        group_rows, by_part = _part_rows(group, series, outputs, horizon, season, mase_season,
                                         parts)  # fmt: skip
        rows += group_rows
        results.append({"group": group, "horizon": horizon, "wall_seconds": wall,
                        "parts": by_part})  # fmt: skip
        naive2_pub = PUBLISHED[group]["Naive2"]
        for method, (s, m) in PUBLISHED[group].items():
            published_rows.append([group, method, s, m, owa(s, m, naive2_pub)])
        print(f"{group}: {len(series)} series in {wall:.1f} s wall on {args.processes} "
              "processes")
    print_table(
        f"M4 (development half), model={args.model}, transform={args.transform}, "
        f"{args.processes} processes" + (f", first {args.limit} series" if args.limit else ""),
        ["group", "part", "series", "sMAPE", "MASE", "OWA", "cover 95", "MSIS", "sNaive sMAPE",
         "sNaive MASE", "sNaive OWA", "Naive2 sMAPE", "Naive2 MASE"],
        rows,
    )  # fmt: skip
    print_table("M4 published, whole group (OWA against the published Naive2)",
                ["group", "method", "sMAPE", "MASE", "OWA"], published_rows)
    save("forecast_m4", {"model": args.model, "transform": args.transform,
                         "processes": args.processes, "limit": args.limit, "part": args.part,
                         "reference": "Naive2 (OWA), seasonal naive (hourly), naive (weekly)",
                         "published": PUBLISHED, "groups": results})  # fmt: skip


if __name__ == "__main__":
    main()

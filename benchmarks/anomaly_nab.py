"""Anomaly detection in streaming mode on the Numenta Anomaly Benchmark files at hand,
scored as NAB scores (standard profile), with NAB's Windowed Gaussian baseline in the same
run and the streaming throughput.

    python -m benchmarks.anomaly_nab [--data-dir DIR] [--limit N]

The data folder holds NAB's development half (29 files); the other half is held out. The
files are split once more, deterministically (``benchmarks/nab_data.py``: per folder, files
in name order alternate between the parts), into a *tune* part, the only one the detector's
settings and score threshold were chosen on, and a *check* part, never tuned on. The
threshold of each detector is the one that maximises its NAB score on the tune part (NAB
itself picks the best threshold on the files it scores; that "oracle" figure is printed for
the check part too, for comparison with the published scoreboard only). Two more rows show
whether a choice only fits the files it was made on: the roles swapped (the threshold best on
the check part, scored on the tune part) and each folder left out in turn (scored at the
threshold best on the other folders, ``benchmarks/nab_selection.py``). Throughput is
points per CPU second of one process over every file. The data directory defaults to
$DIA3_NAB_DIR, else ../shared/data/nab relative to the repository root.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.nab_data import Series, default_data_dir, load, split
from benchmarks.nab_scoring import summary
from benchmarks.nab_selection import sweep
from benchmarks.report import print_table, save
from benchmarks.windowed_gaussian import windowed_gaussian
from workers.anomaly.engine.alarms import DEFAULT_COOLDOWN, DEFAULT_THRESHOLD, alarm_indices
from workers.anomaly.engine.streaming import StreamingDetector

THRESHOLDS = np.round(np.arange(0.02, 1.0001, 0.01), 4)


def detector_scores(series: list[Series]) -> tuple[dict[str, np.ndarray], float]:
    """Streaming scores of every file, and points per CPU second."""
    out, points = {}, 0
    started = time.process_time()
    for item in series:
        out[item.labelled.name] = StreamingDetector().update(item.values).scores
        points += len(item.values)
    return out, points / max(time.process_time() - started, 1e-9)


def evaluate(part: list[Series], scores: dict[str, np.ndarray], threshold: float,
             cooldown: int) -> dict:
    alarms = {s.labelled.name: alarm_indices(scores[s.labelled.name], threshold, cooldown)
              for s in part}
    return summary([s.labelled for s in part], alarms)


def baseline_thresholds(scores: dict[str, np.ndarray]) -> np.ndarray:
    """Candidate thresholds for the baseline: quantiles of its scores (they crowd near 1)."""
    every = np.concatenate(list(scores.values()))
    return np.unique(np.concatenate([np.quantile(every, np.linspace(0.5, 1.0, 400)), [1.0]]))


def rows_for(name: str, parts: dict[str, list[Series]], scores: dict[str, np.ndarray],
             cooldown: int, thresholds: np.ndarray,
             fixed: float | None = None) -> tuple[list[list], dict]:
    """The detector's rows: tune, check and the whole half at the threshold chosen on the
    tune part (or ``fixed``, the detector's default, itself chosen there), then the roles
    swapped (the check part's best threshold on the tune part) and each folder left out."""
    dev = parts["tune"] + parts["check"]
    table = sweep(dev, scores, cooldown, thresholds)
    rows_of = {label: table.rows(part) for label, part in
               (("tune", parts["tune"]), ("check", parts["check"]), ("dev", dev))}
    tuned = float(thresholds[table.best(rows_of["tune"])])
    threshold = tuned if fixed is None else fixed
    swapped = float(thresholds[table.best(rows_of["check"])])
    lofo, per_folder = table.leave_one_folder_out()
    results = {"threshold": threshold, "tune_best_threshold": tuned, "cooldown": cooldown,
               "check_best_threshold": swapped, "leave_one_folder_out_nab": lofo,
               "leave_one_folder_out_thresholds": per_folder}
    rows = []
    for label, part, at in (("tune", parts["tune"], threshold),
                            ("check", parts["check"], threshold), ("dev", dev, threshold),
                            ("tune, thr. from check", parts["tune"], swapped)):
        rows_here = rows_of[label.split(",")[0]]
        result = evaluate(part, scores, at, cooldown)
        result["threshold"] = at
        result["oracle_nab"] = table.nab(rows_here, table.best(rows_here))
        results[label] = result
        rows.append([name, label, at, len(part), result["windows"], result["nab"],
                     result["oracle_nab"], result["precision"], result["recall"],
                     result["f1"], result["fp"], result["mean_delay_rows"] or 0.0])
    rows.append([name, "dev, leave one folder out", "per folder", len(dev),
                 int(table.windows.sum()), lofo, "", "", "", "", "", ""])
    return rows, results


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--limit", type=int, default=None, help="first N files only")
    return parser


def main() -> None:
    args = arguments().parse_args()
    series = load(args.data_dir)[:args.limit]
    parts = split(series)
    ours, throughput = detector_scores(series)
    baseline: dict[str, np.ndarray] = {s.labelled.name: windowed_gaussian(s.values)
                                       for s in series}
    detectors: list[tuple[str, dict, int, np.ndarray, float | None]] = [
        ("dia3 streaming", ours, DEFAULT_COOLDOWN, THRESHOLDS, DEFAULT_THRESHOLD),
        ("windowed gaussian", baseline, 0, baseline_thresholds(baseline), None)]
    table, results = [], {}
    for name, scores, cooldown, thresholds, fixed in detectors:
        rows, results[name] = rows_for(name, parts, scores, cooldown, thresholds, fixed)
        table += rows
    print_table("NAB (development half) standard profile, streaming; threshold chosen on the "
                "tune part" + (f", first {args.limit} files" if args.limit else ""),
                ["detector", "part", "threshold", "files", "windows", "NAB", "NAB oracle thr",
                 "precision", "recall", "F1", "FP alarms", "mean delay rows"], table)
    around = [round(DEFAULT_THRESHOLD + d, 3) for d in (-0.1, -0.05, 0.0, 0.05, 0.1)]
    curve = [[t, *(evaluate(parts[label], ours, t, DEFAULT_COOLDOWN)["nab"]
                   for label in ("tune", "check"))] for t in around]
    print_table("dia3 streaming: NAB around the chosen threshold", ["threshold", "tune",
                                                                     "check"], curve)
    results["dia3 streaming"]["threshold_curve"] = curve
    print(f"\nstreaming throughput: {throughput:,.0f} points per CPU second (one process)")
    save("anomaly_nab", {"profile": "standard", "throughput_points_per_cpu_second": throughput,
                         "parts": {k: [s.labelled.name for s in v] for k, v in parts.items()},
                         "detectors": results})


if __name__ == "__main__":
    main()

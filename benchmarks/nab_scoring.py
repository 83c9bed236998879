"""NAB's scoring (Lavin & Ahmad 2015, as its sweeper computes it): anomaly windows, the
scaled sigmoid, the probationary period, normalisation between the null and the perfect
detector, and window-level precision, recall and F1 besides."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

PROFILES = {"standard": (1.0, -0.11, -1.0),  # A_TP, A_FP, A_FN
            "reward_low_FP_rate": (1.0, -0.22, -1.0),
            "reward_low_FN_rate": (1.0, -0.11, -2.0)}


def scaled_sigmoid(position: float) -> float:
    """NAB's f(y) = 2σ(−5y) − 1, and −1 beyond three window lengths past a window."""
    if position > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probationary_length(rows: int) -> int:
    return int(min(math.floor(0.15 * rows), 0.15 * 5000))


@dataclass(frozen=True)
class Labelled:
    """One file: its row count and anomaly windows as inclusive row index pairs."""

    name: str
    rows: int
    windows: tuple[tuple[int, int], ...]


@dataclass
class FileScore:
    raw: float
    tp: int
    fn: int
    fp: int
    delays: list[int]


def score_file(labelled: Labelled, alarms: np.ndarray, profile: str = "standard") -> FileScore:
    """The raw NAB score of one file's alarm indices (alarms in the probationary period are
    ignored, as NAB does)."""
    a_tp, a_fp, a_fn = PROFILES[profile]
    alarms = np.sort(alarms[alarms >= probationary_length(labelled.rows)])
    raw, tp, fn, delays = 0.0, 0, 0, []
    inside = np.zeros(len(alarms), dtype=bool)
    max_tp = scaled_sigmoid(-1.0)
    for start, end in labelled.windows:
        hit = (alarms >= start) & (alarms <= end)
        inside |= hit
        if hit.any():
            first = int(alarms[hit][0])
            width = end - start + 1
            raw += a_tp * scaled_sigmoid(-(end - first + 1) / width) / max_tp
            tp += 1
            delays.append(first - start)
        else:
            raw += a_fn
            fn += 1
    ends = np.array([end for _, end in labelled.windows])
    widths = np.array([end - start + 1 for start, end in labelled.windows])
    for alarm in alarms[~inside]:
        before = np.flatnonzero(ends < alarm)
        if len(before) == 0:
            raw += -a_fp * -1.0
        else:
            k = before[-1]
            raw += -a_fp * scaled_sigmoid(abs(alarm - ends[k]) / (widths[k] - 1))
    return FileScore(raw, tp, fn, int((~inside).sum()), delays)


def normalised(raw: float, windows: int, profile: str = "standard") -> float:
    a_tp, _, a_fn = PROFILES[profile]
    perfect, null = windows * a_tp, windows * a_fn
    return 100.0 * (raw - null) / (perfect - null)


def summary(files: Iterable[Labelled], alarms: dict[str, np.ndarray],
            profile: str = "standard") -> dict:
    """NAB score and window-level counts over ``files`` (micro-averaged)."""
    raw = tp = fn = fp = rows = windows = 0
    delays: list[int] = []
    for labelled in files:
        score = score_file(labelled, alarms[labelled.name], profile)
        raw += score.raw
        tp, fn, fp = tp + score.tp, fn + score.fn, fp + score.fp
        delays += score.delays
        rows += labelled.rows
        windows += len(labelled.windows)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"nab": normalised(raw, windows, profile), "raw": raw, "windows": windows,
            "tp": tp, "fn": fn, "fp": fp, "precision": precision, "recall": recall, "f1": f1,
            "mean_delay_rows": float(np.mean(delays)) if delays else None,
            "false_alarms_per_1000_rows": 1000.0 * fp / rows if rows else 0.0}

"""Choosing a detector's threshold on some NAB files and scoring it on others: the tune part
against the check part, the roles swapped, and each folder left out in turn, so that a
setting that only fits the files it was chosen on shows as a gap between the rows.

Every file is scored once at every candidate threshold (a files × thresholds matrix of raw
NAB scores); choosing on any set of files is then a sum over its rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.nab_data import Series
from benchmarks.nab_scoring import normalised, score_file
from workers.anomaly.engine.alarms import alarm_indices


@dataclass(frozen=True)
class Sweep:
    """Raw NAB score of each file (rows, in ``names`` order) at each threshold."""

    names: list[str]
    folders: list[str]
    windows: np.ndarray
    thresholds: np.ndarray
    raw: np.ndarray

    def rows(self, files: list[Series]) -> np.ndarray:
        index = {name: i for i, name in enumerate(self.names)}
        return np.array([index[s.labelled.name] for s in files], dtype=int)

    def best(self, rows: np.ndarray) -> int:
        """The threshold index that maximises the NAB score of ``rows`` (the lowest on ties)."""
        return int(np.argmax(self.raw[rows].sum(axis=0)))

    def nab(self, rows: np.ndarray, k: int) -> float:
        return normalised(float(self.raw[rows, k].sum()), int(self.windows[rows].sum()))

    def leave_one_folder_out(self) -> tuple[float, dict[str, float]]:
        """NAB over every file, each folder scored at the threshold best on the others; and
        that threshold per folder."""
        raw, chosen = 0.0, {}
        everything = np.arange(len(self.names))
        for folder in sorted(set(self.folders)):
            held = np.array([f == folder for f in self.folders])
            k = self.best(everything[~held])
            chosen[folder] = float(self.thresholds[k])
            raw += float(self.raw[held, k].sum())
        return normalised(raw, int(self.windows.sum())), chosen


def sweep(series: list[Series], scores: dict[str, np.ndarray], cooldown: int,
          thresholds: np.ndarray) -> Sweep:
    raw = np.array([[score_file(s.labelled, alarm_indices(scores[s.labelled.name], float(t),
                                                          cooldown)).raw
                     for t in thresholds] for s in series])
    return Sweep([s.labelled.name for s in series], [s.folder for s in series],
                 np.array([len(s.labelled.windows) for s in series]), thresholds, raw)

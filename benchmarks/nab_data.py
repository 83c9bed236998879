"""NAB's series and windows as the benchmark reads them, and the deterministic split of the
files at hand into a part to tune on and a part to check on."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.nab_scoring import Labelled

ROOT = Path(__file__).resolve().parents[1]


def default_data_dir() -> Path:
    env = os.environ.get("DIA3_NAB_DIR")
    return Path(env) if env else (ROOT / ".." / "shared" / "data" / "nab").resolve()


@dataclass(frozen=True)
class Series:
    labelled: Labelled
    folder: str
    timestamps: list[str]
    values: np.ndarray


def load(data_dir: Path) -> list[Series]:
    """Every labelled file, sorted by name; window ends resolved to row indices."""
    windows = json.loads((data_dir / "labels.json").read_text())["windows"]
    out = []
    for name in sorted(windows):
        with open(data_dir / "data" / name, newline="") as handle:
            rows = list(csv.DictReader(handle))
        stamps = [row["timestamp"] for row in rows]
        index = {stamp: i for i, stamp in enumerate(stamps)}
        spans = tuple((index[start.split(".")[0]], index[end.split(".")[0]])
                      for start, end in windows[name])
        values = np.array([float(row["value"]) for row in rows])
        out.append(Series(Labelled(name, len(rows), spans), name.split("/")[0], stamps, values))
    return out


def split(series: list[Series]) -> dict[str, list[Series]]:
    """``tune`` and ``check``: in each folder (sorted), the files in name order alternate
    between the parts, the first folder starting with ``tune``, the next with ``check``, and
    so on, so that both parts hold every kind of series and about half the files."""
    parts: dict[str, list[Series]] = {"tune": [], "check": []}
    folders = sorted({s.folder for s in series})
    for f, folder in enumerate(folders):
        files = sorted((s for s in series if s.folder == folder), key=lambda s: s.labelled.name)
        for i, item in enumerate(files):
            parts["tune" if (i + f) % 2 == 0 else "check"].append(item)
    return parts

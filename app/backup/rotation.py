"""Backups kept in a folder: one file per run, named by its time, the old ones removed.

``dia3 backup --into DIR`` writes ``dia3-<UTC time>.tar.gz`` there and then deletes the
backups of that folder older than ``DIA3_BACKUP_RETENTION_DAYS`` — only files named like
ours, and never the one just written — so a daily scheduled run keeps a window of days.
"""

from __future__ import annotations

import calendar
import re
import time
from pathlib import Path

NAME = re.compile(r"^dia3-(\d{8}T\d{6}Z)\.tar\.gz$")


def new_path(folder: Path, now: float | None = None) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if now is None else now))
    return Path(folder) / f"dia3-{stamp}.tar.gz"


def taken_at(path: Path) -> float | None:
    """When a backup of ours in a folder was taken (from its name), None for other files."""
    match = NAME.match(path.name)
    if not match:
        return None
    return float(calendar.timegm(time.strptime(match[1], "%Y%m%dT%H%M%SZ")))


def prune(folder: Path, keep_days: int, now: float | None = None,
          keep: Path | None = None) -> list[Path]:
    """Delete our backups in ``folder`` older than ``keep_days`` (0 keeps all); returns them."""
    if keep_days <= 0:
        return []
    cutoff = (time.time() if now is None else now) - keep_days * 86400
    removed = []
    for path in sorted(Path(folder).iterdir()):
        when = taken_at(path)
        if when is not None and when < cutoff and path != keep:
            path.unlink()
            removed.append(path)
    return removed


def latest(folder: Path) -> Path | None:
    """The newest backup of ours in ``folder``."""
    ours = [p for p in Path(folder).iterdir() if taken_at(p) is not None]
    return max(ours, key=lambda p: p.name) if ours else None

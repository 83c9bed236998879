"""Backups on a timer inside one long-running process, for stacks without a cron (Compose).

``dia3 backup --into DIR --every SECONDS`` backs up at once and then every ``SECONDS``,
pruning the folder after each run as a single ``--into`` run does. The wait is on an event,
not a sleep: SIGTERM (``docker compose stop``) sets it, so the process exits at once when
idle, and after the backup in progress when one is running — a backup is never cut short
into a half-written file. A run that fails (Redis unreachable, a full disk) is logged and
tried again at the next tick rather than ending the service: the next backup is the fix.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.backup import rotation

log = logging.getLogger("dia3.backup")


def every(interval: float, run: Callable[[], Any], stop: threading.Event,
          monotonic: Callable[[], float] = time.monotonic) -> int:
    """Call ``run`` now and then every ``interval`` seconds (from start to start) until
    ``stop`` is set; returns how many runs succeeded."""
    succeeded = 0
    while not stop.is_set():
        started = monotonic()
        try:
            run()
            succeeded += 1
        except Exception as exc:  # the service outlives one failed backup
            log.error("scheduled backup failed: %s", type(exc).__name__)
        stop.wait(max(0.0, interval - (monotonic() - started)))
    return succeeded


def into_folder(folder: Path, make: Callable[[Path], Any], keep_days: int,
                clock: Callable[[], float] = time.time) -> tuple[Path, list[Path]]:
    """One scheduled run: ``make(path)`` writes a new time-named backup into ``folder``, then
    the folder's backups older than ``keep_days`` are deleted; returns (new, removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = rotation.new_path(folder, clock())
    make(path)
    return path, rotation.prune(folder, keep_days, now=clock(), keep=path)

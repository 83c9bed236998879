"""Heartbeats of running steps: one daemon thread per worker process.

While a step runs, its job's heartbeat is refreshed every ``DIA3_HEARTBEAT_INTERVAL`` seconds,
so the reaper can tell a long step from a vanished one. Steps are tracked per thread, so the
threads pool (used for I/O-bound agent queues) beats for every step it runs at once.
"""

from __future__ import annotations

import logging
import os
import threading

from app.extensions import job_store
from app.settings import get_settings

log = logging.getLogger("dia3.heartbeat")

_running: dict[int, str] = {}  # thread id -> job id
_started_in: dict[str, int] = {}
_lock = threading.Lock()
_wake = threading.Event()


def _loop(interval: float) -> None:
    while True:
        _wake.wait(interval)
        _wake.clear()
        for job_id in set(_running.values()):
            try:
                job_store().heartbeat(job_id)
            except Exception:  # a missed beat is retried next interval
                log.warning("heartbeat failed", exc_info=True)


def _ensure_thread() -> None:
    pid = os.getpid()
    if _started_in.get("pid") == pid:
        return
    with _lock:
        if _started_in.get("pid") != pid:
            threading.Thread(target=_loop, args=(get_settings().heartbeat_interval,),
                             name="dia3-heartbeat", daemon=True).start()
            _started_in["pid"] = pid


def begin(job_id: str) -> None:
    _ensure_thread()
    _running[threading.get_ident()] = job_id


def end() -> None:
    _running.pop(threading.get_ident(), None)

"""Process management for running DIA3 on one machine: embedded Redis and child processes."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def wait_started(process: subprocess.Popen, is_up: Callable[[], bool], name: str,
                 log: Path, timeout: float, interval: float) -> None:
    """Poll a freshly started server until it answers; fail if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"embedded {name} exited; see {log}")
        if is_up():
            return
        time.sleep(interval)  # polling a child process start-up
    raise TimeoutError(f"embedded {name} did not start in time")


def wait_or_kill(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """Give a stopping child ``timeout`` seconds, then kill it."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

"""Running DIA3 components as child processes that never outlive their parent."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Ask the kernel to SIGTERM this child when the ``dia3`` parent dies (even by SIGKILL)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class Supervisor:
    """Starts children, and on stop sends SIGTERM to each main process only (Celery's warm
    shutdown lets running steps finish), then SIGKILL to anything left in its group."""

    def __init__(self, grace: float = 30.0):
        self.grace = grace
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None,
              quiet: bool = False) -> subprocess.Popen:
        out = subprocess.DEVNULL if quiet else None
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args],
                                env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=out, preexec_fn=_die_with_parent,
                                start_new_session=True)
        self.children.append((name, proc))
        return proc

    def failed(self) -> str | None:
        for name, proc in self.children:
            if proc.poll() is not None:
                return f"{name} exited with code {proc.returncode}"
        return None

    def stop(self) -> None:
        for _, proc in self.children:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for _, proc in self.children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            # Each child leads its own session: whatever it left behind (pool processes that
            # did not exit with it) is ended with the group.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.children.clear()

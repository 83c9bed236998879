"""Running DIA3 components as child processes that never outlive their parent, and stopping
them in the reverse order of their start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from app.runtime.lifetime import dying_with_parent


@dataclass
class Child:
    name: str
    stop: Callable[[], None]
    failed: Callable[[], str | None] = lambda: None


class Supervisor:
    """Starts children and stops them last-started first: the surfaces, then the API, then the
    workers, then what they all use (Chroma and Redis, when this process started them). A
    child runs in a session of its own, so a Ctrl-C in the terminal reaches only ``dia3``,
    which stops them in that order; if ``dia3`` itself dies, the kernel kills each child.

    A child is sent SIGTERM (its main process only: Celery's warm shutdown lets running steps
    finish), is given ``grace`` seconds, and then anything left in its process group is
    killed."""

    def __init__(self, grace: float = 30.0, report: Callable[[str], None] | None = None):
        self.grace = grace
        self.report = report or (lambda message: None)
        self.children: list[Child] = []

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None,
              quiet: bool = False) -> subprocess.Popen:
        out = subprocess.DEVNULL if quiet else None
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args],
                                env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=out, start_new_session=True,
                                preexec_fn=dying_with_parent(signal.SIGKILL))
        self.children.append(Child(name, lambda: self._terminate(proc),
                                   lambda: _exited(name, proc)))
        return proc

    def adopt(self, name: str, stop: Callable[[], None]) -> None:
        """Stop a server this process started (embedded Redis, Chroma) in its turn."""
        self.children.append(Child(name, stop))

    def failed(self) -> str | None:
        for child in self.children:
            problem = child.failed()
            if problem:
                return problem
        return None

    def stop(self) -> None:
        while self.children:
            child = self.children.pop()
            self.report(f"stopping {child.name}")
            child.stop()

    def _terminate(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=self.grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # The child leads its own session: whatever it left behind (pool processes that did
        # not exit with it) is ended with the group.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _exited(name: str, proc: subprocess.Popen) -> str | None:
    if proc.poll() is not None:
        return f"{name} exited with code {proc.returncode}"
    return None


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def stop_on_signals() -> None:
    """Ctrl-C in the terminal, SIGTERM to this process alone and SIGHUP (a closed terminal)
    all interrupt it the same way, so that whichever arrives it stops its children in
    order."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _interrupt)


def ignore_stop_signals() -> None:
    """While stopping: a second Ctrl-C does not cut the orderly stop short."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)

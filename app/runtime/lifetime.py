"""Processes that never outlive their parent: the kernel signals a child when the process
that started it dies, however it dies (SIGKILL, the OOM killer, a closed terminal), so no
worker, server or pool process is left behind holding ports and retrying a Redis that is
gone."""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux; elsewhere
    nothing happens). The setting survives ``exec`` but not ``fork``: each child asks."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def dying_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A ``preexec_fn`` for ``subprocess.Popen``: the child dies with this process."""
    return lambda: die_with_parent(sig)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (someone else's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

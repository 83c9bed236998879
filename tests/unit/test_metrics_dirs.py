"""Multi-process metrics directories: each process makes ``<role>-<host>-<pid>``, and a start
removes those that this host's dead processes left, never a live one or another host's."""

from __future__ import annotations

import os
import subprocess
import sys

from app.runtime.process import _host, remove_dead_metrics_dirs


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_dead_processes_of_this_host_lose_their_directory(tmp_path):
    host = _host()
    dead = tmp_path / f"worker-{host}-{dead_pid()}"
    live = tmp_path / f"api-{host}-{os.getpid()}"
    elsewhere = tmp_path / f"worker-otherhost-{dead_pid()}"
    for path in (dead, live, elsewhere):
        path.mkdir()
        (path / "counter_1.db").write_bytes(b"x")
    assert remove_dead_metrics_dirs(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and elsewhere.exists()


def test_a_missing_metrics_root_is_nothing_to_clean(tmp_path):
    assert remove_dead_metrics_dirs(tmp_path / "absent") == []

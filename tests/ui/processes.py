"""Start a ``dia3`` surface (API, dashboard, Flower, MCP server) as a real child process and
wait until it answers — used once per test module by the surface tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from app.runtime import wait_or_kill
from tests.conftest import ROOT, free_port, wait_for


class Server:
    def __init__(self, args: list[str], env: dict[str, str], log_path: Path):
        self.log_path = log_path
        self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", *args],
                                     env={**os.environ, **env}, cwd=ROOT,
                                     stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_answering(self, url: str, healthy: tuple[int, ...] = (200,),
                       timeout: float = 90) -> None:
        def answers() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.log()}")
            try:
                return requests.get(url, timeout=2).status_code in healthy
            except requests.RequestException:
                return False
        wait_for(answers, timeout=timeout, interval=0.2, what=f"{url} to answer")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            wait_or_kill(self.proc, timeout=20)


@contextmanager
def serving(command: str, env: dict[str, str], log_dir: Path, health_path: str,
            healthy: tuple[int, ...] = (200,)) -> Iterator[str]:
    """``dia3 <command>`` on a free port for the duration of the block; yields its base URL
    once ``health_path`` answers with one of ``healthy``."""
    port = free_port()
    server = Server([command, "--port", str(port)], env, log_dir / f"{command}.log")
    url = f"http://127.0.0.1:{port}"
    try:
        server.wait_answering(url + health_path, healthy)
        yield url
    finally:
        server.stop()

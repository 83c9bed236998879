"""Start a ``dia3`` surface (API, dashboard, Flower, MCP server) as a real child process and
wait until it answers — used once per test module by the surface tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.conftest import ROOT, wait_for


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
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

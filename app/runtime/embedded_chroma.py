"""An embedded Chroma server owned by the ``dia3`` process that starts it.

Chroma's in-process mode keeps its vector index in the memory of one process: a second process
(an API replica, another prefork worker) reading the same directory fails or misses writes.
DIA3 always has several processes, so "embedded" means a local Chroma server (the ``chroma``
command that ships with the chromadb package) with its data under the data directory, reached
over HTTP like a cluster's Chroma server: one code path for both.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

START_TIMEOUT = 60.0


def chroma_command() -> str:
    beside_python = Path(sys.executable).with_name("chroma")
    return str(beside_python) if beside_python.exists() else (shutil.which("chroma") or "chroma")


class EmbeddedChroma:
    def __init__(self, data_dir: Path, port: int, host: str = "127.0.0.1"):
        self.dir = Path(data_dir).resolve() / "chroma"
        self.host, self.port = host, port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def running(self) -> bool:
        try:
            return requests.get(f"{self.url}/api/v2/heartbeat", timeout=1).ok
        except requests.RequestException:
            return False

    def start(self) -> str:
        """Start the server unless one already answers on the port; return its URL."""
        if self.running():
            return self.url
        self.dir.mkdir(parents=True, exist_ok=True)
        log = open(self.dir / "chroma.log", "ab")
        self.process = subprocess.Popen(
            [chroma_command(), "run", "--path", str(self.dir), "--host", self.host,
             "--port", str(self.port)], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"embedded Chroma exited; see {self.dir / 'chroma.log'}")
            if self.running():
                return self.url
            time.sleep(0.1)  # polling a child process start-up
        self.stop()
        raise RuntimeError("embedded Chroma did not start in time")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

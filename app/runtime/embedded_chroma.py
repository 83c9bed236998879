"""An embedded Chroma server owned by the ``dia3`` process that starts it.

Chroma's in-process mode keeps its vector index in the memory of one process: a second process
(an API replica, another prefork worker) reading the same directory fails ("Error creating
hnsw segment reader: Nothing found on disk") or misses writes. DIA3 always has several
processes, so "embedded" means a local Chroma server (shipped with the chromadb package) with
its data under the data directory, reached over HTTP like a cluster's Chroma server: one code
path for both.

It is Chroma's FastAPI server with token authentication (``app.runtime.chroma_server``), not
``chroma run``, which lets any local client list and delete every collection. The token is
generated once into ``<data dir>/chroma-token`` (mode 0600), where DIA3's clients find it.

The server records its address in ``<data dir>/chroma/server.json``, so other ``dia3``
processes of the same data directory reuse it instead of starting a second one. When the
configured port is taken by something else (another data directory's server, a parallel test
session), a free port is used instead; children learn the address from ``DIA3_CHROMA_URL``.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import requests

from app.runtime import wait_or_kill, wait_started
from app.runtime.lifetime import process_alive
from app.runtime.ports import free_port, port_free
from app.runtime.private import generated_secret, private_child

log = logging.getLogger("dia3.runtime")
START_TIMEOUT = 60.0
STATE_FILE = "server.json"
TOKEN_FILE = "chroma-token"
TOKEN_BYTES = 24


def token_path(data_dir: Path) -> Path:
    """Where the embedded server's token is kept."""
    return Path(data_dir).resolve() / TOKEN_FILE


def answers(url: str) -> bool:
    """True when a Chroma server answers its heartbeat at ``url``."""
    try:
        return requests.get(f"{url}/api/v2/heartbeat", timeout=1).ok
    except requests.RequestException:
        return False


class EmbeddedChroma:
    """Start, find and stop the embedded Chroma server of a data directory."""

    def __init__(self, data_dir: Path, port: int, host: str = "127.0.0.1"):
        self.dir = Path(data_dir).resolve() / "chroma"
        self.token_path = token_path(data_dir)
        self.host, self.port = host, port
        self.process: subprocess.Popen | None = None

    @property
    def token(self) -> str:
        """The token the server requires (generated on first use)."""
        return generated_secret(self.token_path, TOKEN_BYTES)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state_path(self) -> Path:
        return self.dir / STATE_FILE

    def running_url(self) -> str | None:
        """URL of a live server of this data directory (ours or a sibling's), if any."""
        try:
            state = json.loads(self.state_path.read_text())
            url, pid = str(state["url"]), int(state["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not process_alive(pid) or not answers(url):
            return None
        return url

    def running(self) -> bool:
        return self.running_url() is not None

    def start(self) -> str:
        """Start the server unless one already serves this data directory; return its URL.
        It runs in a session of its own (a Ctrl-C in the terminal reaches only its owner, who
        stops it last) and is ended by the kernel if this process dies."""
        existing = self.running_url()
        if existing:
            return existing
        if not port_free(self.host, self.port):
            taken = self.port
            self.port = free_port(self.host)
            log.warning("Chroma port in use; the embedded Chroma server takes another",
                        extra={"port": taken, "chosen": self.port})
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        generated_secret(self.token_path, TOKEN_BYTES)  # before the server reads it
        with open(self.dir / "chroma.log", "ab") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.runtime.chroma_server", "--path", str(self.dir),
                 "--host", self.host, "--port", str(self.port),
                 "--token-file", str(self.token_path)], stdin=subprocess.DEVNULL,
                stdout=log_file, stderr=log_file, start_new_session=True,
                preexec_fn=private_child())
        try:
            wait_started(self.process, lambda: answers(self.url), "Chroma",
                         self.dir / "chroma.log", START_TIMEOUT, 0.1)
        except TimeoutError:
            self.stop()
            raise
        self.state_path.write_text(json.dumps({"url": self.url, "pid": self.process.pid}))
        return self.url

    def stop(self) -> None:
        """Stop the server if this object started it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            wait_or_kill(self.process)
        self.state_path.unlink(missing_ok=True)
        self.process = None


"""A local HTTP server owned by the ``dia3`` process that starts it, with its data and a
generated token under the data directory: the machinery the embedded Chroma and LLM servers
share.

The server records its address in ``<data dir>/<name>/server.json``, so other ``dia3``
processes of the same data directory reuse it instead of starting a second one. When the
configured port is taken by something else (another data directory's server, a parallel test
session), a free port is used instead; children learn the address from the environment. The
token is generated once into ``<data dir>/<token file>`` (mode 0600) and handed to the server
as a file, never on its command line (visible to every user in the process list).
"""

from __future__ import annotations

import json
import logging
import subprocess
from abc import ABC, abstractmethod
from pathlib import Path

from app.runtime import wait_or_kill, wait_started
from app.runtime.lifetime import process_alive
from app.runtime.ports import free_port, port_free
from app.runtime.private import generated_secret, private_child

log = logging.getLogger("dia3.runtime")
STATE_FILE = "server.json"
TOKEN_BYTES = 24


class EmbeddedServer(ABC):
    """Start, find and stop one kind of embedded server of a data directory."""

    #: Shown in messages and logs ("Chroma", "LLM").
    name: str
    #: Sub-directory of the data directory holding its data, log and state file.
    subdir: str
    #: File of the data directory holding its token.
    token_file: str
    start_timeout: float = 60.0

    def __init__(self, data_dir: Path, port: int, host: str = "127.0.0.1"):
        self.dir = Path(data_dir).resolve() / self.subdir
        self.token_path = Path(data_dir).resolve() / self.token_file
        self.host, self.port = host, port
        self.process: subprocess.Popen | None = None

    @abstractmethod
    def command(self) -> list[str]:
        """The server's command line (it reads its token from ``self.token_path``)."""

    @abstractmethod
    def answers(self, url: str) -> bool:
        """True when this kind of server answers at ``url``."""

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

    @property
    def log_path(self) -> Path:
        return self.dir / f"{self.subdir}.log"

    def running_url(self) -> str | None:
        """URL of a live server of this data directory (ours or a sibling's), if any."""
        try:
            state = json.loads(self.state_path.read_text())
            url, pid = str(state["url"]), int(state["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not process_alive(pid) or not self.answers(url):
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
            log.warning("%s port in use; the embedded %s server takes another", self.name,
                        self.name, extra={"port": taken, "chosen": self.port})
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        generated_secret(self.token_path, TOKEN_BYTES)  # before the server reads it
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                start_new_session=True, preexec_fn=private_child())
        try:
            wait_started(self.process, lambda: self.answers(self.url), self.name,
                         self.log_path, self.start_timeout, 0.1)
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

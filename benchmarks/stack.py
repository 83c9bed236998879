"""Starting real DIA3 components (and a raw Celery baseline worker) for benchmarks."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.redis_db import claim_database, release_database

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.ConnectionError, OSError):
        return False


@contextmanager
def private_redis(folder: Path) -> Iterator[str]:
    """The URL of a Redis database this run alone uses: one claimed on the local server when
    it runs, else an embedded Redis with its files in ``folder``; released afterwards."""
    claimed = claim_database(DEFAULT_REDIS) if reachable(DEFAULT_REDIS) else None
    embedded = None
    if claimed is None:
        from app.runtime.embedded_redis import EmbeddedRedis
        embedded = EmbeddedRedis(folder)
    try:
        yield claimed or embedded.start()
    finally:
        if claimed:
            release_database(claimed)
        if embedded:
            embedded.stop()


class Stack:
    """Redis (given, local, or embedded), ``dia3 api`` and ``dia3 worker`` processes."""

    def __init__(self, redis_url: str | None = None, concurrency: int = 2):
        self.tmp = Path(tempfile.mkdtemp(prefix="dia3-bench-"))
        self.embedded = None
        url = redis_url or os.environ.get("DIA3_REDIS_URL") or DEFAULT_REDIS
        self.claimed = None
        if reachable(url) and not redis_url and url == DEFAULT_REDIS:
            url = self.claimed = claim_database(url)  # a database no one else is using
        if not url or not reachable(url):
            from app.runtime.embedded_redis import EmbeddedRedis
            self.embedded = EmbeddedRedis(self.tmp)
            url = self.embedded.start()
        self.redis_url = url
        self.key = "bench-" + secrets.token_hex(16)
        self.port = free_port()
        self.concurrency = concurrency
        self.env = {**os.environ, "DIA3_REDIS_URL": url, "DIA3_DATA_DIR": str(self.tmp),
                    "DIA3_ADMIN_API_KEY": self.key, "DIA3_API_PORT": str(self.port),
                    "DIA3_LOG_LEVEL": "WARNING", "DIA3_WORKER_METRICS_PORT": "0",
                    # limits stay on (their cost is measured) but high enough not to refuse
                    "DIA3_RATE_LIMIT_ADMIN": "1000000/minute"}
        self.procs: list[subprocess.Popen] = []
        self.client = redis.Redis.from_url(url, decode_responses=True) \
            if not url.startswith("unix://") else \
            redis.Redis(unix_socket_path=url[7:], decode_responses=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self, *args: str) -> subprocess.Popen:
        proc = subprocess.Popen(list(args), env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=open(self.tmp / f"proc{len(self.procs)}.log", "w"),
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def start_dia3(self, *worker_args: str) -> None:
        self.start_worker(*(worker_args or ("-c", str(self.concurrency))))
        # The worker starts the data directory's Chroma, which the API finds there. Were the
        # API to start one too, the loser of the race exits with code 3 as gunicorn's child,
        # which gunicorn's master takes for a worker that failed to boot, and stops.
        self.spawn(sys.executable, "-m", "app.cli", "api", "--without-chroma")
        self._wait_ready()

    def start_worker(self, *worker_args: str) -> subprocess.Popen:
        return self.spawn(sys.executable, "-m", "app.cli", "worker", *worker_args)

    def stop_process(self, proc: subprocess.Popen) -> None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        self.procs.remove(proc)

    def start_raw(self) -> None:
        self.spawn(sys.executable, "-m", "celery", "-A", "benchmarks.raw_celery_app", "worker",
                   "-Q", "raw", "-c", str(self.concurrency), "--without-mingle",
                   "--without-gossip", "-E", "--loglevel", "WARNING", "-n", "raw@%h")

    def _wait_ready(self, path: str = "/readyz") -> None:
        import requests
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(self.api_url + path, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)  # waiting for processes to start
        raise RuntimeError(f"DIA3 did not become ready; logs in {self.tmp}")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.embedded:
            self.embedded.stop()
        if self.claimed:
            release_database(self.claimed)

"""Serving the REST API with gunicorn (threads per process, several processes)."""

from __future__ import annotations

import signal

from gunicorn.app.base import BaseApplication

from app import metrics
from app.runtime.lifetime import die_with_parent
from app.runtime.private import UMASK


def post_fork(server, worker) -> None:
    """A gunicorn worker dies with its master, however the master ends."""
    die_with_parent(signal.SIGKILL)


def _child_exit(server, worker) -> None:
    if metrics.multiprocess_dir() is not None:
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)


class GunicornServer(BaseApplication):
    def __init__(self, host: str, port: int, workers: int, threads: int):
        self.options = {
            "bind": f"{host}:{port}", "workers": workers, "threads": threads,
            "worker_class": "gthread", "timeout": 60, "graceful_timeout": 20,
            "accesslog": None, "errorlog": "-", "loglevel": "warning",
            "child_exit": _child_exit, "post_fork": post_fork, "keepalive": 5,
            # Import the app (and its analysis libraries) once in the master: workers fork
            # ready to serve and share those pages.
            "preload_app": True,
            "umask": UMASK,  # its sockets and temporary files are private too
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from app.api import create_app
        return create_app()

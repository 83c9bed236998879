"""Serving the REST API with gunicorn (threads per process, several processes).

gunicorn's ``gthread`` workers keep idle keep-alive connections in a selector, not in a
thread, and start pool threads only as requests need them. An event stream
(:mod:`app.api.events`) holds its thread while it is open, so each process gets
``DIA3_EVENTS_MAX_STREAMS`` threads for streams beside the ``DIA3_API_THREADS`` of ordinary
requests: streams cannot starve the other requests, and an idle stream thread waits in a
blocking Redis read, costing memory (its stack) but no CPU. That serves the streams of
hundreds of clients per process without an event loop (gevent would need monkey-patching of
every library the API loads, and another dependency).
"""

from __future__ import annotations

import signal

from gunicorn.app.base import BaseApplication

from app import metrics
from app.runtime.lifetime import die_with_parent
from app.runtime.private import UMASK


def post_fork(server, worker) -> None:
    """A gunicorn worker dies with its master, however the master ends."""
    die_with_parent(signal.SIGKILL)


def post_worker_init(worker) -> None:
    """Open event streams end soon after the worker is asked to stop (their clients resume
    elsewhere with Last-Event-ID) instead of holding its graceful shutdown to the timeout."""
    from app.api.events import STOPPING

    for signum in (signal.SIGTERM, signal.SIGQUIT, signal.SIGINT):
        previous = signal.getsignal(signum)

        def stop(number, frame, previous=previous) -> None:
            STOPPING.set()
            if callable(previous):
                previous(number, frame)
        signal.signal(signum, stop)


def _child_exit(server, worker) -> None:
    if metrics.multiprocess_dir() is not None:
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)


def tls_options(cert_file: str, key_file: str) -> dict:
    """gunicorn's HTTPS options: TLS 1.2 or newer with the given certificate; none for
    plain HTTP (no certificate)."""
    if not cert_file:
        return {}
    if not key_file:
        raise ValueError("DIA3_API_TLS_CERT_FILE is set but DIA3_API_TLS_KEY_FILE is empty")
    return {"certfile": cert_file, "keyfile": key_file, "ssl_context": _ssl_context}


def _ssl_context(config, default_ssl_context_factory):
    import ssl
    context = default_ssl_context_factory()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class GunicornServer(BaseApplication):
    def __init__(self, host: str, port: int, workers: int, threads: int, tls: dict | None = None,
                 streams: int = 0):
        """``threads`` for ordinary requests and ``streams`` more for event streams, per
        worker process."""
        self.options = {
            **(tls or {}),
            "bind": f"{host}:{port}", "workers": workers, "threads": threads + streams,
            "worker_connections": max(1000, 2 * (threads + streams)),
            "worker_class": "gthread", "timeout": 60, "graceful_timeout": 20,
            "accesslog": None, "errorlog": "-", "loglevel": "warning",
            "child_exit": _child_exit, "post_fork": post_fork,
            "post_worker_init": post_worker_init, "keepalive": 5,
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

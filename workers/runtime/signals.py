"""Worker process lifecycle: logging, metrics server, worker heartbeat, reaper and webhook
dispatcher."""

from __future__ import annotations

import logging
import os
import signal
import threading

from celery import signals

from app import extensions, metrics
from app.broker import QUEUES
from app.extensions import worker_registry
from app.logs import configure_logging
from app.redis_client import get_redis
from app.runtime.lifetime import die_with_parent
from app.settings import get_settings
from workers.runtime import held
from workers.runtime.reaper import Reaper
from workers.runtime.webhooks import WebhookDispatcher

log = logging.getLogger("dia3.worker")
_state: dict = {}


@signals.setup_logging.connect
def _setup_logging(**kwargs):
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)


@signals.worker_process_init.connect
def _child_init(**kwargs):
    # A pool process dies with the worker's main process, however that ends (SIGKILL, the
    # OOM killer, its own parent dying), instead of lingering on as an orphan.
    die_with_parent(signal.SIGKILL)
    extensions.after_fork()


@signals.worker_process_shutdown.connect
def _child_exit(pid=None, **kwargs):
    if metrics.multiprocess_dir() is not None:
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(pid or os.getpid())


class WorkerBeat(threading.Thread):
    def __init__(self, hostname: str, info: dict):
        super().__init__(name="dia3-worker-beat", daemon=True)
        self.hostname, self.info = hostname, info
        self.stopping = threading.Event()

    def run(self) -> None:
        registry = worker_registry()
        while True:
            try:
                client = get_redis()
                # held tags first: a beat must never vouch for messages not yet published
                held.publish(client, self.hostname, ttl=registry.deadline * 2)
                registry.beat(client, self.hostname, self.info)
            except Exception:
                log.warning("worker heartbeat failed", exc_info=True)
            if self.stopping.wait(get_settings().heartbeat_interval):
                return


@signals.worker_ready.connect
def _worker_ready(sender=None, **kwargs):
    settings = get_settings()
    consumer = sender
    hostname = consumer.hostname if consumer is not None else os.uname().nodename
    queues = sorted(q.name for q in consumer.task_consumer.queues) if consumer else list(QUEUES)
    beat = WorkerBeat(hostname, {"queues": queues, "pid": os.getpid(),
                                 "concurrency": consumer.controller.concurrency
                                 if consumer else None})
    beat.start()
    reaper = Reaper()
    reaper.start()
    dispatcher = WebhookDispatcher()
    dispatcher.start()
    _state.update(beat=beat, reaper=reaper, dispatcher=dispatcher, hostname=hostname)
    metrics.serve(settings.worker_metrics_port, settings.worker_metrics_host,
                  "DIA3_WORKER_METRICS_PORT")
    log.info("worker ready", extra={"hostname": hostname, "queues": queues})


@signals.worker_shutdown.connect
def _worker_shutdown(**kwargs):
    for name in ("beat", "reaper", "dispatcher"):
        if name in _state:
            _state[name].stopping.set()
    if "dispatcher" in _state:  # it frees its lock, so another worker takes over at once
        _state["dispatcher"].join(timeout=3)
    if "hostname" in _state:
        try:
            worker_registry().leave(get_redis(), _state["hostname"])
        except Exception:
            pass

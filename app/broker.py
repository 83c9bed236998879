"""The one Celery configuration object, built from DIA3 settings, and the app factory.

The API and the workers make their Celery app here (:func:`create_celery`); routes come from
the step declarations (:mod:`app.workflows.steps`), so sending a canvas needs no task code.

Reliability choices (see also docs/architecture.md):
- ``task_acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged only after its
  step finished, and a step whose process died (SIGKILL, OOM) goes back to the queue instead of
  being lost. Steps are idempotent (the job store records finished steps and ignores a second
  delivery), so at-least-once delivery still counts every item once.
- ``worker_prefetch_multiplier = 1``: a worker holds one unstarted message per process, so a
  crash strands little work and long steps do not hoard short ones.
- ``visibility_timeout`` longer than the longest hard time limit: Redis redelivers an unacked
  message after this, and doing so while the step still runs would run it twice.
- Soft and hard time limits on every step; the soft one lets a step stop cleanly.
- Retries with exponential backoff and jitter, only for errors marked transient
  (:class:`workers.runtime.errors.TransientError`, Redis connection errors); bad input fails
  at once.
- Task events on, so Flower and event-based exporters see every task.
- ``result_expires``: Celery's own result keys expire; DIA3's job store is the durable record,
  so nobody waits on Celery results (see :mod:`app.broker_backend`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from celery import Celery
from kombu import Producer, Queue

from app import broker_transport
from app.broker_backend import backend_url
from app.crypto.messages import serializer_config
from app.redis_client import celery_url, redis_url, sentinel_options, tls_options
from app.settings import Settings, get_settings
from app.workflows.steps import QUEUES, task_routes


def celery_config(settings: Settings, redis_url: str) -> dict:
    url = celery_url(redis_url)
    tls = tls_options(redis_url)  # rediss://: the broker and the backend verify Redis alike
    sentinel = sentinel_options(redis_url)  # the same master name and Sentinel credentials
    return {
        **({"broker_use_ssl": tls, "redis_backend_use_ssl": tls} if tls else {}),
        "broker_url": url,
        "result_backend": backend_url(redis_url),
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": settings.visibility_timeout,
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
            "health_check_interval": 30,
            **sentinel,
        },
        "result_backend_transport_options": {"socket_timeout": 10, "retry_policy": {
            "timeout": 10.0}, **sentinel},
        "redis_socket_timeout": 10,
        "redis_socket_connect_timeout": 5,
        **serializer_config(bool(settings.encryption_key or settings.encryption_key_file)),
        "task_default_queue": "default",
        "task_queues": [Queue(name) for name in QUEUES],
        "task_routes": task_routes(),
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": settings.task_soft_time_limit,
        "task_time_limit": settings.task_time_limit,
        "task_track_started": False,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "result_expires": settings.result_expires,
        "result_extended": False,
        "worker_hijack_root_logger": False,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_max_tasks_per_child": 1000,
        "broker_pool_limit": 10,
    }


def worker_config() -> dict:
    """What only workers need: ride out a Redis restart instead of failing steps. A step that
    finished keeps publishing its next step for up to about a minute, and result-backend
    writes (chord counting) are retried. (The API keeps the defaults so that a submit during
    an outage fails fast with 503.)"""
    return {
        "task_publish_retry_policy": {"max_retries": 40, "interval_start": 0.1,
                                      "interval_step": 0.5, "interval_max": 2.0},
        "result_backend_always_retry": True,
        "result_backend_max_retries": 40,
        "result_backend_max_sleep_between_retries_ms": 2000,
    }


def check_reliability(settings: Settings) -> None:
    """Refuse a configuration in which Redis would redeliver still-running steps."""
    if settings.visibility_timeout <= settings.task_time_limit:
        raise ValueError(
            "DIA3_VISIBILITY_TIMEOUT must be longer than DIA3_TASK_TIME_LIMIT "
            f"({settings.visibility_timeout} <= {settings.task_time_limit})")
    if settings.task_soft_time_limit >= settings.task_time_limit:
        raise ValueError("DIA3_TASK_SOFT_TIME_LIMIT must be below DIA3_TASK_TIME_LIMIT")


#: the producer every message of this thread (or task) goes through, inside :func:`publishing`
_PUBLISHING: ContextVar[Producer | None] = ContextVar("dia3_publishing", default=None)
#: Redis commands a publish batch may buffer: more than any one request sends, so that it is
#: flushed once, at its end
PUBLISH_BATCH_MAX = 1_000_000


class DIA3Celery(Celery):
    """Celery whose messages sent inside :func:`publishing` all go through its producer,
    those of canvases too (a chain hands its first step no producer of the caller's)."""

    def producer_or_acquire(self, producer: Producer | None = None):
        return super().producer_or_acquire(producer or _PUBLISHING.get())


@contextmanager
def publishing(app: Celery) -> Iterator[Producer]:
    """Send every message of the block through one producer, buffered in a kombu publish
    batch (one pipelined Redis round trip) and flushed when the block ends: raises then if
    they could not be sent, and which of them reached Redis is unknown. Inside another such
    block, the messages join the outer block's batch (an error in the inner block leaves
    the outer batch usable)."""
    outer = _PUBLISHING.get()
    if outer is not None:
        yield outer
        return
    with app.producer_or_acquire() as producer, producer.batch(max_size=PUBLISH_BATCH_MAX):
        token = _PUBLISHING.set(producer)
        try:
            yield producer
        finally:
            _PUBLISHING.reset(token)


def create_celery() -> Celery:
    """A Celery app configured from settings (use :func:`app.extensions.celery`, the
    process's one app)."""
    settings = get_settings()
    check_reliability(settings)
    broker_transport.install()  # kombu's Redis transports, one client each, fixed for failovers
    app = DIA3Celery("dia3")
    app.conf.update(celery_config(settings, redis_url()))
    # Control messages (revoke, inspect) carry task ids and commands, no user content: they
    # stay plain JSON, so Flower works without the encryption key.
    app.control.mailbox.serializer = "json"
    return app

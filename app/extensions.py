"""Process-wide services, in one place (in the style of Superset's ``extensions`` module).

Every long-lived object a process shares between requests or steps (Redis clients, the job
store, the Celery app, the knowledge store and embedders, LLM clients, ...) is made here
lazily, once per process: :func:`process_local` keys each by the process id, so a forked
worker child makes its own instead of sharing its parent's connections, and :func:`reset`
drops them all (tests, settings reloads).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from celery import Celery

    from app.auth.keys import KeyStore
    from app.backpressure import DepthCache
    from app.cluster import WorkerRegistry
    from app.crypto.envelope import Envelope
    from app.jobs.store import JobStore
    from app.schedules.store import ScheduleStore
    from app.webhooks.store import WebhookStore

T = TypeVar("T")
_lock = threading.RLock()
_items: dict[tuple[int, str], Any] = {}


def process_local(name: str, factory: Callable[[], T]) -> T:
    """The process's object called ``name``, made by ``factory`` on first use."""
    key = (os.getpid(), name)
    try:
        return _items[key]
    except KeyError:
        pass
    with _lock:
        if key not in _items:
            _items[key] = factory()
        return _items[key]


def reset() -> None:
    """Forget (and close, where they can be closed) every object of every process."""
    with _lock:
        items = list(_items.values())
        _items.clear()
    for item in items:
        close = getattr(item, "close", None)
        if callable(close):
            try:
                close()
            except Exception:  # noqa: BLE001 - a broken connection must not stop the reset
                pass


def after_fork() -> None:
    """In a forked child: forget the parent's objects without closing them (closing would
    shut the sockets the parent still uses); the child makes its own on first use."""
    pid = os.getpid()
    with _lock:
        for key in [key for key in _items if key[0] != pid]:
            del _items[key]


def job_store() -> JobStore:
    def make() -> JobStore:
        from app.jobs.results import ResultStore
        from app.jobs.store import JobStore
        from app.redis_client import get_redis
        from app.settings import get_settings
        from app.workflows.pipeline.steps import advance_when_child_ends
        from app.workflows.registry import on_delete_hook
        settings = get_settings()
        results = ResultStore(get_redis(), settings.data_path, settings.result_inline_max_bytes,
                              envelope())
        return JobStore(get_redis(), results, on_delete_hook, envelope(),
                        settings.events_retention, child_ended=advance_when_child_ends,
                        job_events_ttl=settings.job_events_ttl)
    return process_local("jobs", make)


def schedule_store() -> ScheduleStore:
    def make() -> ScheduleStore:
        from app.redis_client import get_redis
        from app.schedules.store import ScheduleStore
        return ScheduleStore(get_redis(), envelope())
    return process_local("schedules", make)


def webhook_store() -> WebhookStore:
    def make() -> WebhookStore:
        from app.redis_client import get_redis
        from app.settings import get_settings
        from app.webhooks.store import WebhookStore
        return WebhookStore(get_redis(), envelope(), get_settings().webhook_deliveries_kept)
    return process_local("webhooks", make)


def envelope() -> Envelope:
    """Encryption at rest with the configured master key (off without one)."""
    def make() -> Envelope:
        from app.crypto.envelope import Envelope
        from app.redis_client import get_bytes_redis
        from app.settings import get_settings
        return Envelope(get_bytes_redis(), get_settings().master_key)
    return process_local("envelope", make)


def worker_registry() -> WorkerRegistry:
    def make() -> WorkerRegistry:
        from app.cluster import WorkerRegistry
        from app.settings import get_settings
        return WorkerRegistry(get_settings().worker_lost_after)
    return process_local("workers", make)


def queue_depths() -> DepthCache:
    def make() -> DepthCache:
        from app.backpressure import DepthCache
        from app.redis_client import get_redis
        return DepthCache(get_redis)
    return process_local("queue-depths", make)


def key_store() -> KeyStore:
    def make() -> KeyStore:
        from app.auth.keys import KeyStore
        from app.redis_client import get_redis
        return KeyStore(get_redis())
    return process_local("keys", make)


def celery() -> Celery:
    """The process's Celery app: the API sends canvases with it, workers run it."""
    def make() -> Celery:
        from app.broker import create_celery
        return create_celery()
    return process_local("celery", make)

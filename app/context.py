"""Per-process access to shared services (job store, key store, worker registry)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from app.cluster import WorkerRegistry
from app.jobs.results import ResultStore
from app.jobs.store import JobStore
from app.redis_client import get_redis
from app.settings import get_settings


class ProcessCache:
    """Objects made once per process (after fork: connections must not be shared)."""

    def __init__(self) -> None:
        self._items: dict[tuple[int, str], Any] = {}

    def get(self, name: str, factory: Callable[[], Any]) -> Any:
        key = (os.getpid(), name)
        if key not in self._items:
            self._items[key] = factory()
        return self._items[key]

    def clear(self) -> None:
        self._items.clear()


_cache = ProcessCache()
_cached = _cache.get


def job_store() -> JobStore:
    def make() -> JobStore:
        settings = get_settings()
        results = ResultStore(get_redis(), settings.data_path, settings.result_inline_max_bytes)
        return JobStore(get_redis(), results)
    return _cached("jobs", make)


def worker_registry() -> WorkerRegistry:
    return _cached("workers", lambda: WorkerRegistry(get_settings().worker_lost_after))


def queue_depths():
    from app.backpressure import DepthCache
    return _cached("queue-depths", lambda: DepthCache(get_redis))


def key_store():
    from app.auth.keys import KeyStore
    return _cached("keys", lambda: KeyStore(get_redis()))


def reset() -> None:
    _cache.clear()

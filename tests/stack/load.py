"""A load generator for the stack: client threads that submit small jobs and poll them until
they end, recording every error a user would see. Submissions carry an idempotency key, so
one that is retried after a refused or broken request cannot become two jobs."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

from app.client import APIError, DIA3Client
from tests.stack.jobs import texts

SENTIMENT_TEXTS = 12


@dataclass
class Load:
    client: DIA3Client
    threads: int = 4
    retry_refused: bool = False  # resubmit after a 503 or a connection error (same key)
    jobs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Load:
        self._workers = [threading.Thread(target=self._run, daemon=True)
                         for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=120)

    def wait_for_jobs(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.jobs) < n:
            assert time.monotonic() < deadline, f"only {len(self.jobs)} jobs submitted"
            time.sleep(0.2)

    def _run(self) -> None:
        while not self._stop.is_set():
            key = uuid.uuid4().hex
            job = self._call(self.client.submit, "sentiment",
                             {"texts": texts(SENTIMENT_TEXTS, key)}, idempotency_key=key)
            if job is None:
                continue
            with self._lock:
                self.jobs.append(job["id"])
            while not self._stop.is_set():
                polled = self._call(self.client.job, job["id"])  # None: recorded, poll again
                if polled and polled["state"] in ("succeeded", "failed", "cancelled"):
                    break
                time.sleep(0.2)

    def _call(self, request, *args, **kwargs):
        while True:
            try:
                return request(*args, **kwargs)
            except (APIError, requests.RequestException) as exc:
                refused = isinstance(exc, requests.ConnectionError) or \
                    getattr(exc, "status", None) == 503
                if not (self.retry_refused and refused):
                    with self._lock:
                        self.errors.append(f"{type(exc).__name__}: {exc}")
                    return None
                if self._stop.is_set():
                    return None
                time.sleep(0.5)

"""A small Python client of the DIA3 REST API (used by the CLI, dashboard and benchmarks)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

FINAL = ("succeeded", "failed", "cancelled")


class APIError(Exception):
    def __init__(self, status: int, body: dict):
        self.status = status
        self.body = body
        super().__init__(f"{status}: {body.get('message', body)}")


class DIA3Client:
    def __init__(self, base_url: str, api_key: str | None, timeout: float = 30.0):
        self.base = base_url.rstrip("/")
        self.session = requests.Session()
        if api_key:
            self.session.headers["X-API-Key"] = api_key
        self.timeout = timeout

    def request(self, method: str, path: str, **kwargs) -> Any:
        response = self.session.request(method, self.base + path, timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"message": response.text[:500]}
            raise APIError(response.status_code, body)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def workflows(self) -> list[dict]:
        return self.request("GET", "/api/v1/workflows")

    def submit(self, workflow: str, params: dict, idempotency_key: str | None = None) -> dict:
        body = {"workflow": workflow, "params": params}
        if idempotency_key:
            body["idempotency_key"] = idempotency_key
        return self.request("POST", "/api/v1/jobs", json=body)

    def job(self, job_id: str) -> dict:
        return self.request("GET", f"/api/v1/jobs/{job_id}")

    def jobs(self, **query) -> dict:
        return self.request("GET", "/api/v1/jobs",
                            params={k: v for k, v in query.items() if v is not None})

    def iter_jobs(self, **query) -> Iterator[dict]:
        cursor = None
        while True:
            page = self.jobs(cursor=cursor, **query)
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def result(self, job_id: str) -> dict:
        return self.request("GET", f"/api/v1/jobs/{job_id}/result")

    def cancel(self, job_id: str) -> dict:
        return self.request("POST", f"/api/v1/jobs/{job_id}/cancel")

    def delete(self, job_id: str) -> None:
        self.request("DELETE", f"/api/v1/jobs/{job_id}")

    def wait(self, job_id: str, timeout: float = 600.0, interval: float = 0.25,
             on_update: Callable[[dict], None] | None = None) -> dict:
        """Poll the job until it ends (or ``timeout`` passes, raising TimeoutError)."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if on_update:
                on_update(job)
            if job["state"] in FINAL:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['state']} after {timeout} s")
            time.sleep(interval)

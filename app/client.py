"""A small Python client of the DIA3 REST API (used by the CLI, dashboard and benchmarks)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

FINAL = ("succeeded", "failed", "cancelled")


def segment(value: str) -> str:
    """``value`` as exactly one path segment: a job id from a link or a name someone typed
    cannot reach another route (``../keys``) or add a query."""
    return quote(str(value), safe="")


class APIError(Exception):
    def __init__(self, status: int, body: dict):
        self.status = status
        self.body = body
        super().__init__(f"{status}: {body.get('message', body)}")


class DIA3Client:
    def __init__(self, base_url: str, api_key: str | None, timeout: float = 30.0):
        from app.settings import get_settings
        self.base = base_url.rstrip("/")
        self.session = requests.Session()
        # an https:// API with a certificate of a private CA (DIA3_API_CA_FILE)
        self.session.verify = get_settings().api_ca_file or True
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
        """Submit a job; with a key, a repeat (by this client, or by a proxy after a
        failure) returns the first job."""
        body = {"workflow": workflow, "params": params}
        headers = {}
        if idempotency_key:
            body["idempotency_key"] = idempotency_key
            headers["Idempotency-Key"] = idempotency_key  # lets a proxy retry the POST
        return self.request("POST", "/api/v1/jobs", json=body, headers=headers)

    def job(self, job_id: str) -> dict:
        return self.request("GET", f"/api/v1/jobs/{segment(job_id)}")

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
        return self.request("GET", f"/api/v1/jobs/{segment(job_id)}/result")

    def cancel(self, job_id: str) -> dict:
        return self.request("POST", f"/api/v1/jobs/{segment(job_id)}/cancel")

    def retry(self, job_id: str) -> dict:
        return self.request("POST", f"/api/v1/jobs/{segment(job_id)}/retry")

    def delete(self, job_id: str) -> None:
        self.request("DELETE", f"/api/v1/jobs/{segment(job_id)}")

    # ---- knowledge base ---------------------------------------------------------------------
    def collections(self) -> list[dict]:
        return self.request("GET", "/api/v1/collections")["items"]

    def collection(self, name: str) -> dict:
        return self.request("GET", f"/api/v1/collections/{segment(name)}")

    def create_collection(self, name: str, embedder: str | None = None,
                          description: str | None = None) -> dict:
        body = {"name": name, "embedder": embedder, "description": description}
        return self.request("POST", "/api/v1/collections",
                            json={k: v for k, v in body.items() if v is not None})

    def delete_collection(self, name: str) -> None:
        self.request("DELETE", f"/api/v1/collections/{segment(name)}")

    def documents(self, collection: str, limit: int = 50, offset: int = 0) -> dict:
        return self.request("GET", f"/api/v1/collections/{segment(collection)}/documents",
                            params={"limit": limit, "offset": offset})

    def upload_documents(self, collection: str, paths: list[Path], title: str | None = None,
                         source: str | None = None, metadata: dict | None = None) -> dict:
        """Multipart upload of files into a collection; returns the ingest job."""
        form = {"title": title, "source": source,
                "metadata": json.dumps(metadata) if metadata else None}
        with ExitStack() as stack:
            files = [("file", (path.name, stack.enter_context(open(path, "rb")),
                               "application/octet-stream")) for path in paths]
            return self.request("POST", f"/api/v1/collections/{segment(collection)}/documents",
                                files=files,
                                data={k: v for k, v in form.items() if v is not None})

    def search(self, collection: str, query: str, k: int = 5, where: dict | None = None
               ) -> dict:
        body = {"query": query, "k": k, **({"where": where} if where else {})}
        return self.request("POST", f"/api/v1/collections/{segment(collection)}/search",
                            json=body)

    # ---- schedules --------------------------------------------------------------------------
    def create_schedule(self, workflow: str, params: dict, **fields: Any) -> dict:
        """A new schedule: ``cron`` or ``interval_seconds``, and optionally ``timezone``,
        ``enabled``, ``overlap``, ``catchup`` and ``name`` (None: the server's default)."""
        body = {"workflow": workflow, "params": params,
                **{k: v for k, v in fields.items() if v is not None}}
        return self.request("POST", "/api/v1/schedules", json=body)

    def schedules(self, **query) -> dict:
        return self.request("GET", "/api/v1/schedules",
                            params={k: v for k, v in query.items() if v is not None})

    def schedule(self, schedule_id: str) -> dict:
        return self.request("GET", f"/api/v1/schedules/{segment(schedule_id)}")

    def update_schedule(self, schedule_id: str, **changes: Any) -> dict:
        """Change any field; ``enabled=False`` pauses, ``enabled=True`` resumes."""
        return self.request("PATCH", f"/api/v1/schedules/{segment(schedule_id)}",
                            json=changes)

    def delete_schedule(self, schedule_id: str) -> None:
        self.request("DELETE", f"/api/v1/schedules/{segment(schedule_id)}")

    def run_schedule(self, schedule_id: str) -> dict:
        """Run the schedule's workflow now; returns the job."""
        return self.request("POST", f"/api/v1/schedules/{segment(schedule_id)}/run")

    # ---- waiting -----------------------------------------------------------------------------
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

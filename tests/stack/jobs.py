"""Submitting jobs to the stack and reading them back, and the work they are given."""

from __future__ import annotations

import math
import uuid

from app.client import DIA3Client

DOCUMENTS = {
    "q3-results": "Acme Corp reported record revenue in Q3, driven by strong demand in Europe. "
                  "However, the central bank warned that rising interest rates may slow growth.",
    "regulation": "Regulatory scrutiny from the EU is increasing. New data-protection rules "
                  "threaten fines of up to four percent of turnover.",
    "technology": "Acme's new battery technology cuts production costs by a fifth. The company "
                  "will expand into Asia next year, where demand is strong.",
}


def texts(n: int, tag: str = "") -> list[str]:
    moods = ("I love this, it is wonderful", "This is awful and broken", "It arrived on Monday")
    return [f"{moods[i % 3]} {tag} #{i}" for i in range(n)]


def seasonal_series(n: int = 60) -> list[float]:
    return [100 + 0.8 * t + 12 * math.sin(2 * math.pi * t / 12) for t in range(n)]


def run(client: DIA3Client, workflow: str, params: dict, timeout: float = 240) -> tuple[dict, dict]:
    """Submit, wait until the job ends, and read its result; the job must succeed."""
    job = client.submit(workflow, params)
    job = client.wait(job["id"], timeout=timeout)
    assert job["state"] == "succeeded", (workflow, job["error"])
    return job, client.result(job["id"])["result"]


def collection_with_documents(client: DIA3Client, documents: dict[str, str]) -> tuple[str, dict]:
    """A new collection on the local embedder holding ``documents``; (name, ingest result)."""
    name = f"kb-{uuid.uuid4().hex[:8]}"
    client.create_collection(name, embedder="local")
    body = {"documents": [{"text": text, "document_id": doc_id, "title": doc_id}
                          for doc_id, text in documents.items()]}
    job = client.request("POST", f"/api/v1/collections/{name}/documents", json=body)
    job = client.wait(job["id"], timeout=240)
    assert job["state"] == "succeeded", job["error"]
    return name, client.result(job["id"])["result"]


def assert_each_text_once(result: dict, n: int) -> None:
    """A sentiment result scored every one of ``n`` texts exactly once."""
    assert result["count"] == n
    assert sorted(item["index"] for item in result["items"]) == list(range(n))
    assert sum(result["counts"].values()) == n

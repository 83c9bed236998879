"""Small steps the knowledge-base integration tests share (through the API's test client)."""

from __future__ import annotations

import base64
import uuid

COLLECTIONS = "/api/v1/collections"


def create_collection(client, embedder: str = "hashing", name: str | None = None) -> str:
    name = name or f"kb-{uuid.uuid4().hex[:8]}"
    response = client.post(COLLECTIONS, json={"name": name, "embedder": embedder})
    assert response.status_code == 201, response.get_json()
    return name


def text_doc(text: str, **extra) -> dict:
    return {"text": text, **extra}


def file_doc(data: bytes, filename: str, **extra) -> dict:
    return {"content_base64": base64.b64encode(data).decode(), "filename": filename, **extra}


def submit_documents(client, name: str, documents: list[dict]):
    return client.post(f"{COLLECTIONS}/{name}/documents", json={"documents": documents})


def ingest(client, name: str, documents: list[dict], timeout: float = 120) -> tuple[dict, dict]:
    """Submit documents, wait for the job; (job, result). The job must succeed."""
    response = submit_documents(client, name, documents)
    assert response.status_code == 202, response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{response.get_json()['id']}")
    job = client.wait(response.get_json()["id"], timeout=timeout)
    assert job["state"] == "succeeded", job["error"]
    return job, client.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]


def search(client, name: str, query: str, **body) -> list[dict]:
    response = client.post(f"{COLLECTIONS}/{name}/search", json={"query": query, **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["hits"]


def collection(client, name: str) -> dict:
    response = client.get(f"{COLLECTIONS}/{name}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()

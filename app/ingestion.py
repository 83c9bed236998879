"""The work of the ``ingest`` workflow's steps: one staged document into its collection, and
the job's report from the per-document outcomes.

A document that cannot become text (corrupt PDF, empty, unsupported type, too large) is an
*outcome* with its reason, not a failure of the job: the other documents still land.
"""

from __future__ import annotations

from typing import Any

from app import knowledge, uploads
from workers.knowledge.errors import InputError

OUTCOME_FIELDS = ("filename", "title", "document_id")


def ingest_staged(tenant: str, collection: str, index: int, spec: dict[str, Any],
                  on_batch: knowledge.BatchCallback | None = None) -> dict[str, Any]:
    """Ingest document ``index`` of a job; returns its outcome. Transient errors (store or
    embedder unreachable) propagate so the step is retried with the upload still staged."""
    outcome: dict[str, Any] = {"index": index, "size": spec.get("size"),
                               **{key: spec.get(key) for key in OUTCOME_FIELDS}}
    data = uploads.fetch(spec["upload"])
    if data is None:
        return {**outcome, "status": "failed", "reason": "upload_missing",
                "message": "the staged upload expired or was already consumed"}
    try:
        report = knowledge.ingest_bytes(
            tenant, collection, data, filename=spec.get("filename"),
            media_type=spec.get("media_type"), title=spec.get("title"),
            source=spec.get("source"), metadata=spec.get("metadata"),
            document_id=spec.get("document_id"), on_batch=on_batch)
    except InputError as error:
        outcome.update(status="failed", reason=error.reason, message=error.message)
    else:
        outcome.update(status="ingested", **report.to_dict())
    # The upload stays until the job has succeeded (see discard_uploads): a step delivered
    # again after a crash must find it and ingest again (unchanged chunks), not report the
    # document as missing.
    return outcome


def discard_uploads(documents: list[dict[str, Any]]) -> None:
    """Remove a finished job's staged documents (each also expires on its own)."""
    for spec in documents:
        if spec.get("upload"):
            uploads.discard(spec["upload"])


def summarise(tenant: str, collection: str, outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """The job result: outcomes in submission order, totals and the collection afterwards."""
    ordered = sorted(outcomes, key=lambda outcome: outcome["index"])
    ingested = [o for o in ordered if o["status"] == "ingested"]
    totals = {
        "documents": len(ordered),
        "ingested": len(ingested),
        "failed": len(ordered) - len(ingested),
        **{key: sum(o[key] for o in ingested)
           for key in ("chunks_total", "chunks_added", "chunks_unchanged", "chunks_removed")},
    }
    return {"collection": knowledge.describe_collection(tenant, collection).to_dict(),
            "totals": totals, "documents": ordered}

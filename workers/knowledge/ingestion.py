"""The work of the ``ingest`` workflow's steps: one staged document into its collection, and
the job's report from the per-document outcomes; and a video transcript into its collection.

A document that cannot become text (corrupt PDF, empty, unsupported type, too large) or is
over a limit (too many pages, characters or chunks, too slow to extract) is an *outcome*
with its reason, not a failure of the job: the other documents still land. An outcome over a
limit names the setting in ``limit``.
"""

from __future__ import annotations

from typing import Any

from app.settings import get_settings
from app.workflows.knowledge import service as knowledge
from app.workflows.knowledge import uploads
from app.workflows.knowledge.errors import InputError
from app.workflows.knowledge.models import IngestReport, Metadata
from workers.knowledge.engine.chunking import ChunkingConfig
from workers.knowledge.engine.extract import ExtractLimits
from workers.knowledge.engine.ingest import BatchCallback, ingest_file
from workers.knowledge.engine.youtube import Transcript
from workers.knowledge.engine.youtube import ingest_transcript as index_transcript

OUTCOME_FIELDS = ("filename", "title", "document_id")
#: the setting behind each reason a document can fail for being too large
LIMITS = {"too_large": "DIA3_UPLOAD_MAX_BYTES", "too_much_text": "DIA3_DOCUMENT_MAX_CHARS",
          "too_many_pages": "DIA3_DOCUMENT_MAX_PAGES",
          "too_many_chunks": "DIA3_DOCUMENT_MAX_CHUNKS",
          "extraction_timeout": "DIA3_DOCUMENT_EXTRACT_SECONDS"}


def chunking_config() -> ChunkingConfig:
    s = get_settings()
    return ChunkingConfig(chunk_tokens=s.chunk_tokens, overlap_tokens=s.chunk_overlap_tokens,
                          max_chunks=s.document_max_chunks)


def extract_limits() -> ExtractLimits:
    s = get_settings()
    return ExtractLimits(max_chars=s.document_max_chars, max_pages=s.document_max_pages,
                         seconds=s.document_extract_seconds)


def ingest_bytes(tenant: str, name: str, data: bytes, *, filename: str | None = None,
                 media_type: str | None = None, title: str | None = None,
                 source: str | None = None, metadata: Metadata | None = None,
                 document_id: str | None = None, on_batch: BatchCallback | None = None
                 ) -> IngestReport:
    """Extract, chunk, embed and store one uploaded document (raises ``DocumentRejected``
    for a file that cannot become text)."""
    with knowledge.reachable():
        collection = knowledge.open_collection(tenant, name)
        return ingest_file(collection, data, filename=filename, media_type=media_type,
                           max_bytes=get_settings().upload_max_bytes, title=title,
                           source=source, document_id=document_id, metadata=metadata,
                           chunking=chunking_config(), limits=extract_limits(),
                           on_batch=on_batch)


def ingest_transcript(tenant: str, name: str, transcript: Transcript, title: str | None = None,
                      on_batch: BatchCallback | None = None) -> IngestReport:
    """Index a video transcript as document ``youtube:<video id>`` (timed chunks)."""
    with knowledge.reachable():
        return index_transcript(knowledge.open_collection(tenant, name), transcript,
                                chunking=chunking_config(), title=title, on_batch=on_batch)


def ingest_staged(tenant: str, collection: str, index: int, spec: dict[str, Any],
                  on_batch: BatchCallback | None = None) -> dict[str, Any]:
    """Ingest document ``index`` of a job; returns its outcome. Transient errors (store or
    embedder unreachable) propagate so the step is retried with the upload still staged."""
    outcome: dict[str, Any] = {"index": index, "size": spec.get("size"),
                               **{key: spec.get(key) for key in OUTCOME_FIELDS}}
    data = uploads.fetch(spec["upload"])
    if data is None:
        return {**outcome, "status": "failed", "reason": "upload_missing",
                "message": "the staged upload expired or was already consumed"}
    try:
        report = ingest_bytes(
            tenant, collection, data, filename=spec.get("filename"),
            media_type=spec.get("media_type"), title=spec.get("title"),
            source=spec.get("source"), metadata=spec.get("metadata"),
            document_id=spec.get("document_id"), on_batch=on_batch)
    except InputError as error:
        outcome.update(status="failed", reason=error.reason, message=error.message)
        if error.reason in LIMITS:
            outcome.update(limit=LIMITS[error.reason],
                           message=f"{error.message} ({LIMITS[error.reason]})")
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

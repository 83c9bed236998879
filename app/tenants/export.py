"""A tenant's data as one archive: every job with its params and result, its schedules, its
webhooks with their deliveries (never a signing secret), its collections with their
documents, its keys (metadata only) and the audit entries about it.

The archive is the backup format's (a gzip tar of JSON-lines members whose checksums the
manifest lists) with its own format name, so it is read with any tar and JSON tool and
checked like a backup. Embeddings are left out: they are derived from the documents and mean
nothing outside this installation.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis

from app.auth.keys import KeyStore
from app.backup import chroma_state
from app.backup.archive import ArchiveWriter
from app.crypto.envelope import Envelope
from app.jobs.store import JobStore
from app.schedules.store import ScheduleNotFound, ScheduleStore
from app.tenants import data
from app.webhooks.store import WebhookStore
from app.workflows.knowledge.store import SEALED_TEXT, chunk_text

FORMAT = "dia3-tenant-export"
VERSION = 1
JOBS, COLLECTIONS, KEYS, AUDIT = "jobs.jsonl", "collections.jsonl", "keys.jsonl", "audit.jsonl"
SCHEDULES, WEBHOOKS = "schedules.jsonl", "webhooks.jsonl"


def _jobs(store: JobStore, tenant: str, counts: dict[str, int]) -> Iterator[dict[str, Any]]:
    for job_id in data.job_ids(store, tenant):
        try:
            job = store.get(job_id, tenant=tenant, with_params=True)
        except LookupError:
            continue  # deleted since it was listed
        record = job.to_dict()
        record["steps"] = store.steps(job_id)
        if job.result_ref:
            try:
                record["result"] = store.result(job_id, job)
            except LookupError:
                record["result"] = None
                counts["missing_results"] += 1
        yield record


def _schedules(schedules: ScheduleStore, tenant: str) -> Iterator[dict[str, Any]]:
    for schedule_id in data.schedule_ids(schedules, tenant):
        try:
            yield schedules.get(schedule_id, tenant=tenant).to_dict()
        except ScheduleNotFound:
            continue  # deleted since it was listed


def _webhooks(webhooks: WebhookStore, tenant: str) -> Iterator[dict[str, Any]]:
    """Each webhook as the API shows it, with every delivery's record (newest first)."""
    for hook in webhooks.of_tenant(tenant):
        record, deliveries, cursor = hook.to_dict(), [], None
        while True:
            page = webhooks.deliveries(hook.id, limit=500, cursor=cursor)
            deliveries.extend(delivery.to_dict() for delivery in page.items)
            if not (cursor := page.next_cursor):
                break
        record["deliveries"] = deliveries
        yield record


def _collections(chroma: Any, tenant: str, envelope: Envelope) -> Iterator[dict[str, Any]]:
    """The tenant's collections with their texts opened (they may be sealed at rest)."""
    names = {c.name for c in data.collections_of(chroma, tenant)}
    for line in chroma_state.records(chroma, names=names, embeddings=False):
        if line["type"] == "batch":
            documents = line.get("documents") or [None] * len(line["ids"])
            metadatas = line.get("metadatas") or [{} for _ in line["ids"]]
            line["documents"] = [
                chunk_text(envelope, chunk, text, meta) if meta and (
                    text is not None or SEALED_TEXT in meta) else text
                for chunk, text, meta in zip(line["ids"], documents, metadatas, strict=True)]
        yield line


def export(path: Path, tenant: str, store: JobStore, client: redis.Redis, keys: KeyStore,
           chroma: Any | None) -> dict[str, Any]:
    """Write the tenant's archive to ``path``; returns its manifest. ``chroma=None`` leaves
    the knowledge base out (said in the manifest)."""
    data.check_tenant(tenant)
    writer = ArchiveWriter(path)
    try:
        started = time.time()
        counts: dict[str, int] = {"missing_results": 0}
        counts["jobs"] = writer.lines(JOBS, _jobs(store, tenant, counts))
        counts["schedules"] = writer.lines(SCHEDULES, _schedules(
            ScheduleStore(client, store.envelope), tenant))
        counts["webhooks"] = writer.lines(WEBHOOKS, _webhooks(
            WebhookStore(client, store.envelope), tenant))
        counts["keys"] = writer.lines(KEYS, data.keys_of(keys, tenant))
        counts["audit_entries"] = writer.lines(AUDIT, data.audit_entries(client, tenant))
        if chroma is not None:
            lines = list(_collections(chroma, tenant, store.envelope))
            counts["collections"] = sum(1 for line in lines if line["type"] == "collection"
                                        and line["metadata"].get("kb_kind") == "chunks")
            counts["chunks"] = sum(len(line["ids"]) for line in lines
                                   if line["type"] == "batch")
            writer.lines(COLLECTIONS, lines)
        return writer.close({"format": FORMAT, "version": VERSION, "tenant": tenant,
                             "created_at": started, "finished_at": time.time(),
                             "counts": counts, "knowledge_base": chroma is not None})
    except BaseException:
        writer.abandon()
        raise

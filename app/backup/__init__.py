"""Backup and restore of everything DIA3 keeps: jobs and results, schedules, webhooks, API keys,
the audit log and the knowledge base's Chroma collections, into one checksummed file.

Backups are taken while DIA3 runs: each job is copied in one Redis transaction with all it
owns, keys in one transaction, the audit log up to its newest entry when the backup began.
Restore refuses a target that already holds jobs, audit entries or collections unless
``force`` is given; then records in the backup replace those with the same id or name and
everything else is kept. ``dia3 backup`` and ``dia3 restore`` are thin wrappers.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import redis

from app import audit
from app.auth.keys import Principal
from app.backup import chroma_state, redis_state
from app.backup.archive import ArchiveReader, ArchiveWriter, BadBackup
from app.jobs.store import JobStore
from app.schedules.store import ScheduleStore
from app.webhooks.store import WebhookStore

JOBS, KEYS, AUDIT, CHROMA = "jobs.jsonl", "keys.jsonl", "audit.jsonl", "chroma.jsonl"
SCHEDULES, WEBHOOKS = "schedules.jsonl", "webhooks.jsonl"
#: the encryption's data keys, wrapped by the master key: a backup is restored (and read)
#: only with that key, which is never in it
DATA_KEYS = "data-keys.jsonl"


class RestoreRefused(Exception):
    """The target is not empty and ``force`` was not given."""


def backup(path: Path, store: JobStore, client: redis.Redis, chroma: Any | None,
           actor: Principal = audit.OPERATOR) -> dict[str, Any]:
    """Write a backup to ``path``; returns its manifest. ``chroma=None`` leaves the
    knowledge base out (recorded in the manifest)."""
    writer = ArchiveWriter(path)
    try:
        started = time.time()
        missing: list[str] = []
        states: Counter[str] = Counter()
        counts: dict[str, Any] = {"result_files": 0, "idempotency_keys": 0}

        def jobs():
            for record in redis_state.job_snapshots(store, missing):
                states[record["hash"]["state"]] += 1
                counts["result_files"] += record.get("result_file") is not None
                counts["idempotency_keys"] += bool(record["hash"].get("idempotency_key"))
                yield record

        counts["jobs"] = writer.lines(JOBS, jobs())
        counts["jobs_by_state"] = dict(states)
        counts["keys"] = writer.lines(KEYS, redis_state.key_records(client))
        counts["schedules"] = writer.lines(SCHEDULES, ScheduleStore(
            client, store.envelope).snapshots())
        counts["webhooks"] = writer.lines(WEBHOOKS, WebhookStore(
            client, store.envelope).snapshots())
        counts["data_keys"] = writer.lines(DATA_KEYS, (
            {"key_id": key_id, "wrapped": record}
            for key_id, record in store.envelope.wrapped_keys().items()))
        counts["audit_entries"] = writer.lines(AUDIT, redis_state.audit_entries(client))
        if chroma is not None:
            counts.update(collections=0, chroma_records=0)

            def knowledge():
                for line in chroma_state.records(chroma):
                    counts["collections"] += line["type"] == "collection"
                    counts["chroma_records"] += len(line.get("ids", []))
                    yield line

            writer.lines(CHROMA, knowledge())
        manifest = writer.close({
            "created_at": started, "finished_at": time.time(), "counts": counts,
            "knowledge_base": chroma is not None, "missing_result_files": missing})
    except BaseException:
        writer.abandon()
        raise
    audit.record("system.backup", actor, "backup", jobs=counts["jobs"],
                 audit_entries=counts["audit_entries"], collections=counts.get("collections"))
    return manifest


def occupied(store: JobStore, client: redis.Redis, chroma: Any | None) -> list[str]:
    """What a restore would mix with: jobs, audit entries (refused authentications, which
    clients of an empty DIA3 cause before the restore, do not count), collections."""
    found = {"jobs": redis_state.job_count(store),
             "audit entries": redis_state.data_entries(client),
             "collections": chroma_state.count(chroma) if chroma is not None else 0}
    return [f"{n} {what}" for what, n in found.items() if n]


def restore(path: Path, store: JobStore, client: redis.Redis, chroma: Any | None,
            force: bool = False, actor: Principal = audit.OPERATOR,
            knowledge: bool = True, audited: bool = True) -> dict[str, Any]:
    """Restore a backup; returns what was restored. Verifies the whole file first.
    ``knowledge=False`` leaves the collections of the backup out; ``audited=False`` (the
    restore drill, into a scratch Redis) writes no ``system.restore`` entry."""
    reader = ArchiveReader(path)
    try:
        if reader.manifest.get("knowledge_base") and chroma is None and knowledge:
            raise RestoreRefused("the backup holds knowledge-base collections but no Chroma "
                                 "server is configured")
        busy = occupied(store, client, chroma)
        if busy and not force:
            raise RestoreRefused("the target is not empty (" + ", ".join(busy) + "); restore "
                                 "into an empty DIA3, or pass force to replace what the "
                                 "backup holds and keep the rest")
        store.envelope.restore_keys({line["key_id"]: line["wrapped"]
                                     for line in reader.lines(DATA_KEYS)})
        now = time.time()
        states: Counter[str] = Counter(redis_state.restore_job(store, record, now)
                                       for record in reader.lines(JOBS))
        keys = 0
        for record in reader.lines(KEYS):
            redis_state.restore_key(client, record)
            keys += 1
        schedules, restored_schedules = ScheduleStore(client, store.envelope), 0
        for stored in reader.lines(SCHEDULES):  # none in a backup from before schedules
            schedules.restore(stored)
            restored_schedules += 1
        webhooks, restored_webhooks = WebhookStore(client, store.envelope), 0
        for stored in reader.lines(WEBHOOKS):  # none in a backup from before webhooks
            webhooks.restore(stored)
            restored_webhooks += 1
        restored, skipped = redis_state.restore_audit(client, reader.lines(AUDIT))
        restored_kb = chroma_state.restore(chroma, reader.lines(CHROMA)) \
            if chroma is not None and knowledge else {"collections": 0, "records": 0}
        report = {"jobs": sum(states.values()), "jobs_by_state": dict(states), "keys": keys,
                  "schedules": restored_schedules, "webhooks": restored_webhooks,
                  "audit_entries": restored, "audit_entries_skipped": skipped, **restored_kb,
                  "backup_created_at": reader.manifest["created_at"]}
        if chroma is None:
            report["knowledge_in_backup"] = chroma_state.tally(reader.lines(CHROMA))
    finally:
        reader.close()
    if audited:
        audit.record("system.restore", actor, "backup", forced=force, jobs=report["jobs"],
                     audit_entries=restored, collections=restored_kb["collections"])
    return report


__all__ = ["backup", "restore", "RestoreRefused", "BadBackup", "occupied"]

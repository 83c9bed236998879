"""What DIA3 keeps in Redis, read for a backup and written back on restore: jobs (with their
params, steps, outputs, usage and results), API keys (hashed) and the audit log.

Each job is read in one transaction and written back by one script that also rebuilds its
indexes and idempotency key, so no job is ever half-copied; keys are read in one
transaction as a whole. Celery's queues and caches are not part of a backup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import redis

from app import audit
from app.auth.keys import INDEX, LAST_USED, PREFIX
from app.jobs.model import ACTIVE_STATES, FAILED
from app.jobs.store import JobStore

PAGE = 500
NOT_RESTORED = {
    "type": "NotRestored",
    "message": "the job was queued or running when the backup was taken; its pending steps "
               "are not part of a backup, so it was restored as failed: submit it again",
    "step": None,
}


# ---- jobs ------------------------------------------------------------------------------------
def job_snapshots(store: JobStore, missing: list[str]) -> Iterator[dict[str, Any]]:
    """Every job that exists while it is read, with its file result's body (base64-free: it
    is JSON text). A job whose result file vanished is reported in ``missing``."""
    after = None
    while True:
        page = store.all_ids(after, PAGE)
        if not page:
            return
        after = page[-1][::-1]
        for job_id, _ in page:
            snap = store.snapshot(job_id)
            if snap is None:
                continue  # deleted since it was listed
            ref = json.loads(snap["hash"].get("result_ref") or "{}")
            if ref.get("kind") == "file":
                try:
                    snap["result_file"] = store.results.file_path(ref).read_text()
                except FileNotFoundError:
                    if store.snapshot(job_id) is None:
                        continue  # deleted while we read it
                    missing.append(job_id)
            yield {"id": job_id, **snap}


def restore_job(store: JobStore, record: dict[str, Any], now: float) -> str:
    """Write one job back; returns the state it has now. Jobs that were active are restored
    as failed (their queued steps were not backed up)."""
    snap = {k: record[k] for k in ("hash", "params", "steps", "out", "usage", "result")}
    job = dict(snap["hash"])
    if job["state"] in ACTIVE_STATES:
        job.update(state=FAILED, error=json.dumps(NOT_RESTORED), finished_at=repr(now),
                   updated_at=repr(now))
    snap["hash"] = job
    ref = json.loads(job.get("result_ref") or "{}")
    if ref.get("kind") == "file" and record.get("result_file") is not None:
        store.results.restore_file(record["id"], ref, record["result_file"].encode())
    store.restore(record["id"], snap)
    return job["state"]


def job_count(store: JobStore) -> int:
    return store.count(None)


# ---- API keys --------------------------------------------------------------------------------
def key_records(client: redis.Redis) -> list[dict[str, Any]]:
    """Every key's stored record (hash of the key, role, tenant, …), read atomically."""
    seen: dict[str, dict[str, str]] = {}

    def read(pipe) -> None:  # re-run by redis-py if a key changes meanwhile
        seen["index"], seen["last_used"] = pipe.hgetall(INDEX), pipe.hgetall(LAST_USED)
        pipe.multi()
        for digest in seen["index"].values():
            pipe.hgetall(PREFIX + digest)

    records = client.transaction(read, INDEX, LAST_USED)
    return [{"key_id": key_id, "digest": digest, "fields": fields,
             "last_used": seen["last_used"].get(key_id)}
            for (key_id, digest), fields in zip(seen["index"].items(), records) if fields]


def restore_key(client: redis.Redis, record: dict[str, Any]) -> None:
    """Put a key back under its id (replacing whatever secret that id has now)."""
    pipe = client.pipeline(transaction=True)
    current = client.hget(INDEX, record["key_id"])
    if current and current != record["digest"]:
        pipe.delete(PREFIX + current)
    pipe.delete(PREFIX + record["digest"])
    pipe.hset(PREFIX + record["digest"], mapping=record["fields"])
    pipe.hset(INDEX, record["key_id"], record["digest"])
    if record.get("last_used"):
        pipe.hset(LAST_USED, record["key_id"], record["last_used"])
    pipe.execute()


# ---- audit log -------------------------------------------------------------------------------
def audit_entries(client: redis.Redis) -> Iterator[list[Any]]:
    """[stream id, fields] of every entry, oldest first, up to the last one when we began."""
    last = client.xrevrange(audit.STREAM, count=1)
    if not last:
        return
    end, start = last[0][0], "-"
    while True:
        batch = client.xrange(audit.STREAM, min=start, max=end, count=PAGE)
        if not batch:
            return
        for entry_id, fields in batch:
            yield [entry_id, fields]
        start = "(" + batch[-1][0]


REFUSALS = ("auth.",)  # refused authentications: no data of anyone's
REFUSALS_MAX = 10_000


def refusals_only(client: redis.Redis) -> list[list[Any]] | None:
    """The audit log's entries when all are refused authentications (as an empty DIA3 that
    clients already call collects), else None."""
    entries = client.xrange(audit.STREAM, count=REFUSALS_MAX + 1)
    if len(entries) > REFUSALS_MAX or any(
            not fields.get("action", "").startswith(REFUSALS) for _, fields in entries):
        return None
    return [[entry_id, fields] for entry_id, fields in entries]


def data_entries(client: redis.Redis) -> int:
    """Audit entries a restore would mix with (refused authentications do not count)."""
    return 0 if refusals_only(client) is not None else audit.count(client)


def restore_audit(client: redis.Redis, entries: Iterator[list[Any]]) -> tuple[int, int]:
    """Append entries with their original ids (so their times); (restored, skipped).
    Entries already present are skipped, as are ones older than the newest entry present
    (a stream only grows at its end). A log holding only refused authentications is set
    aside and put back after the restored entries, so it does not hide them."""
    held = refusals_only(client) or []
    if held:
        client.delete(audit.STREAM)
    last = client.xrevrange(audit.STREAM, count=1)
    newest = _id(last[0][0]) if last else (0, 0)
    restored = skipped = 0
    pipe = client.pipeline(transaction=False)
    for entry_id, fields in entries:
        if _id(entry_id) <= newest:
            skipped += 1
            continue
        pipe.xadd(audit.STREAM, fields, id=entry_id)
        newest = _id(entry_id)
        restored += 1
        if len(pipe) >= PAGE:
            pipe.execute()
    for entry_id, fields in held:
        if _id(entry_id) > newest:
            pipe.xadd(audit.STREAM, fields, id=entry_id)
            newest = _id(entry_id)
    pipe.execute()
    return restored, skipped


def _id(entry_id: str) -> tuple[int, int]:
    ms, seq = entry_id.split("-")
    return int(ms), int(seq)


"""Erasing one tenant everywhere DIA3 keeps it, and off the disks too.

In order: the tenant's keys are revoked and its schedules and webhooks (with their
deliveries) deleted (so nothing new arrives or leaves), its
active jobs cancelled, then every job deleted with all it owns (params, steps, result and
result file, staged uploads, idempotency key, events) after the LLM replies it cached, and its
event stream; then its Chroma collections, the rate-limit counters of its keys, and its name in
the audit log (pseudonymised). Deleting is not enough for the disks: Redis' append-only file
still holds every write until it is rewritten (``BGREWRITEAOF``, and a fresh RDB snapshot when
snapshots are on), and Chroma's SQLite file keeps deleted rows in free pages until ``VACUUM``.
Both are done and awaited; what could not be done (a managed Redis refusing the commands, a
Chroma server elsewhere) is said in the report rather than hidden.

Nothing of another tenant is touched: every deletion goes by the tenant's own index, key list
or ``kb_tenant`` mark.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

import redis

from app import redis_keys
from app.auth.keys import KeyStore
from app.jobs import events
from app.jobs.model import ACTIVE_STATES, CANCELLED
from app.jobs.store import InvalidTransition, JobNotFound, JobStore
from app.schedules.store import ScheduleNotFound, ScheduleStore
from app.tenants import audit_rewrite, data
from app.webhooks.store import WebhookStore

log = logging.getLogger("dia3.tenants")
PERSISTENCE_TIMEOUT = 300.0


def _jobs(store: JobStore, client: redis.Redis, tenant: str) -> dict[str, int]:
    counts = {"jobs": 0, "llm_cache_entries": 0}
    for job_id in list(data.job_ids(store, tenant)):
        try:
            if store.state(job_id) in ACTIVE_STATES:
                store.transition(job_id, CANCELLED, ACTIVE_STATES, failed_step="*")
        except (JobNotFound, InvalidTransition):
            pass  # ended meanwhile: deleted below all the same
        cached = data.llm_cache_keys(client, job_id)
        if cached:
            counts["llm_cache_entries"] += client.delete(*cached)
        client.delete(redis_keys.llm_cache_of_job(job_id))
        try:
            store.delete(job_id)
            counts["jobs"] += 1
        except JobNotFound:
            pass
    events.drop_tenant(tenant)  # after the cancellations, which added to it
    return counts


def _schedules(schedules: ScheduleStore, tenant: str) -> int:
    count = 0
    for schedule_id in list(data.schedule_ids(schedules, tenant)):
        try:
            schedules.delete(schedules.get(schedule_id, tenant=tenant))
            count += 1
        except ScheduleNotFound:
            pass  # deleted meanwhile
    return count


def _webhooks(webhooks: WebhookStore, tenant: str) -> int:
    found = webhooks.of_tenant(tenant)
    for hook in found:
        webhooks.delete(hook)
    return len(found)


def _keys(keys: KeyStore, client: redis.Redis, tenant: str) -> dict[str, int]:
    counts = {"keys": 0, "rate_limit_counters": 0}
    for entry in data.keys_of(keys, tenant):
        counts["keys"] += keys.revoke(entry["key_id"])
        pattern = f"{redis_keys.RATE_LIMIT}*key:{entry['key_id']}*"
        found = list(client.scan_iter(match=pattern, count=1000))
        if found:
            counts["rate_limit_counters"] += client.delete(*found)
    return counts


def _collections(chroma: Any, tenant: str) -> int:
    found = data.collections_of(chroma, tenant)
    for collection in found:
        chroma.delete_collection(collection.name)
    return sum(1 for c in found if (c.metadata or {}).get("kb_kind") == "chunks")


def vacuum_chroma(chroma_dir: Path | None) -> str:
    """Reclaim the deleted rows of Chroma's SQLite file (``done``, or why not)."""
    if chroma_dir is None:
        return "not possible: the Chroma server runs elsewhere; run VACUUM on its database"
    path = Path(chroma_dir) / "chroma.sqlite3"
    if not path.exists():
        return "not needed: no Chroma database"
    with sqlite3.connect(path, timeout=60) as connection:
        connection.execute("VACUUM")
    return "done"


def _persistence_idle(client: redis.Redis) -> bool:
    info = client.info("persistence")
    return not (info.get("aof_rewrite_in_progress") or info.get("aof_rewrite_scheduled")
                or info.get("rdb_bgsave_in_progress"))


def _await(client: redis.Redis, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _persistence_idle(client):
        if time.monotonic() > deadline:
            raise TimeoutError("Redis did not finish rewriting its files in time")
        time.sleep(0.05)


def rewrite_redis_files(client: redis.Redis, timeout: float = PERSISTENCE_TIMEOUT) -> str:
    """Rewrite Redis' append-only file and re-take its snapshot, so deleted values are gone
    from its disk; returns ``done`` or why not."""
    try:
        info = client.info("persistence")
        done = []
        _await(client, timeout)
        if info.get("aof_enabled"):
            client.bgrewriteaof()
            _await(client, timeout)
            done.append("append-only file rewritten")
        # a snapshot left by a shutdown or an earlier save holds old values too
        if info.get("aof_enabled") or client.config_get("save").get("save"):
            client.bgsave()
            _await(client, timeout)
            done.append("snapshot re-taken")
        return "done: " + ", ".join(done) if done else "not needed: Redis keeps no files"
    except redis.ResponseError as exc:  # e.g. a managed Redis that disallows the commands
        return f"not possible: Redis refused ({exc}); have its provider rewrite its files"


def erase(tenant: str, store: JobStore, client: redis.Redis, keys: KeyStore,
          chroma: Any | None, chroma_dir: Path | None) -> dict[str, Any]:
    """Erase the tenant; returns what was removed and what the disks' clean-up did.
    ``chroma=None`` leaves the knowledge base alone (said in the report); ``chroma_dir`` is
    the directory of a local Chroma server's database, None for one elsewhere."""
    data.check_tenant(tenant)
    pseudonym = data.pseudonym(tenant)
    report: dict[str, Any] = {"tenant": pseudonym}
    report.update(_keys(keys, client, tenant))
    report["schedules"] = _schedules(ScheduleStore(client, store.envelope), tenant)
    report["webhooks"] = _webhooks(WebhookStore(client, store.envelope), tenant)
    report.update(_jobs(store, client, tenant))
    if chroma is not None:
        report["collections"] = _collections(chroma, tenant)
        report["chroma_vacuum"] = vacuum_chroma(chroma_dir)
    else:
        report["collections"], report["chroma_vacuum"] = None, "skipped: no knowledge base"
    report["audit_entries_pseudonymised"] = audit_rewrite.pseudonymise(client, tenant,
                                                                       pseudonym)
    report["redis_files"] = rewrite_redis_files(client)
    log.info("tenant erased", extra={"tenant": pseudonym, "jobs": report["jobs"]})
    return report

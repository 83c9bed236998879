"""Where one tenant's data lives, for its export and its erasure.

A tenant owns its schedules, its jobs (with params, step outputs, usage, result and any result
file, staged uploads and idempotency keys, which the job store deletes with the job), the LLM
replies its
jobs put in the response cache, its knowledge-base collections (two physical Chroma
collections each, marked ``kb_tenant``), its API keys and their rate-limit counters, and the
audit entries written by its keys. No metric carries a tenant label.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import redis

from app import audit, redis_keys
from app.auth.keys import TENANT_PATTERN, KeyStore
from app.backup import chroma_state
from app.errors import InputError
from app.jobs.store import JobStore
from app.schedules.store import ScheduleStore

PAGE = 200


def check_tenant(tenant: str) -> str:
    """The tenant name, or a 422 on ``tenant``."""
    if not isinstance(tenant, str) or not re.fullmatch(TENANT_PATTERN, tenant):
        raise InputError("tenant", "must be 1-64 letters, digits, '-' or '_'")
    return tenant


def pseudonym(tenant: str) -> str:
    """What stands for an erased tenant in the audit log: whoever knows the name can check
    it, nobody can read it back."""
    return "erased-" + hashlib.sha256(tenant.encode()).hexdigest()[:16]


def job_ids(store: JobStore, tenant: str) -> Iterator[str]:
    """Every job id of the tenant, oldest first (a snapshot of the index, read by pages)."""
    yield from store.tenant_ids(tenant)


def schedule_ids(schedules: ScheduleStore, tenant: str) -> list[str]:
    """Every schedule id of the tenant (a snapshot of its index)."""
    return list(schedules.tenant_ids(tenant))


def keys_of(keys: KeyStore, tenant: str) -> list[dict[str, Any]]:
    """The tenant's API keys as an admin sees them (never a secret or hash)."""
    return [entry for entry in keys.list() if entry["tenant"] == tenant]


def collections_of(chroma: Any, tenant: str) -> list[Any]:
    """The tenant's physical Chroma collections (chunks and manifests)."""
    return [c for c in chroma_state.dia3_collections(chroma)
            if (c.metadata or {}).get("kb_tenant") == tenant]


def concerns(fields: dict[str, str], tenant: str) -> bool:
    """Whether an audit entry is about the tenant: written by one of its keys, acting on it
    (``tenant:<name>``), or naming it in its detail (an admin creating one of its keys)."""
    return (fields.get("tenant") == tenant or fields.get("target") == f"tenant:{tenant}"
            or tenant in _detail_values(fields))


def _detail_values(fields: dict[str, str]) -> set[str]:
    try:
        detail = json.loads(fields.get("detail") or "{}")
    except ValueError:
        return set()
    return {value for value in detail.values() if isinstance(value, str)}


def audit_entries(client: redis.Redis, tenant: str) -> Iterator[dict[str, Any]]:
    """The audit entries about the tenant, oldest first, as the API shows them."""
    from app.backup.redis_state import audit_entries as every_entry
    for entry_id, fields in every_entry(client):
        if concerns(fields, tenant):
            yield audit.Entry.from_stream(entry_id, fields).to_dict()


def llm_cache_keys(client: redis.Redis, job_id: str) -> list[str]:
    return sorted(client.smembers(redis_keys.llm_cache_of_job(job_id)))

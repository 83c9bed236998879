"""Tenant export and erasure as every surface does them: admins only, every step audited.

Erasure is irreversible, so it takes two calls: :func:`request_erasure` returns a one-time
confirmation token (valid ``TOKEN_SECONDS``, bound to the tenant and to the admin who asked)
with a summary of what would go, and :func:`erase_tenant` runs only with that token. The
``dia3 tenants erase`` command asks the operator instead and then goes the same way. An admin
cannot erase the tenant of its own key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from pathlib import Path
from typing import Any

from app import audit, redis_keys
from app.auth.admin import require_admin
from app.auth.keys import Principal
from app.errors import Conflict, InputError
from app.extensions import job_store, key_store, schedule_store, webhook_store
from app.redis_client import get_redis
from app.settings import get_settings
from app.tenants import data
from app.tenants import erase as erasure
from app.tenants import export as exporting

TOKEN_SECONDS = 600


def _chroma() -> Any:
    from app.workflows.knowledge import service as kb
    return kb.connect()


def _chroma_dir() -> Path | None:
    """The directory of Chroma's database when it is on this host (None: elsewhere)."""
    settings = get_settings()
    if settings.chroma_data_dir:
        return Path(settings.chroma_data_dir)
    return None if settings.chroma_url else settings.data_path / "chroma"


def export_tenant(principal: Principal, tenant: str, path: Path,
                  chroma: Any | None = None, knowledge: bool = True) -> dict[str, Any]:
    """Write the tenant's archive to ``path``; audited as ``tenant.export``."""
    with audit.audited("tenant.export", principal, f"tenant:{tenant}") as entry:
        require_admin(principal)
        data.check_tenant(tenant)
        manifest = exporting.export(path, tenant, job_store(), get_redis(), key_store(),
                                    (chroma or _chroma()) if knowledge else None)
        entry.detail.update(manifest["counts"])
        return manifest


def summary(tenant: str, chroma: Any | None) -> dict[str, Any]:
    """What an erasure of the tenant would remove, counted."""
    found = {"jobs": job_store().count(tenant), "keys": len(data.keys_of(key_store(), tenant)),
             "schedules": schedule_store().count(tenant),
             "webhooks": len(webhook_store().of_tenant(tenant))}
    if chroma is not None:
        found["collections"] = sum(1 for c in data.collections_of(chroma, tenant)
                                   if (c.metadata or {}).get("kb_kind") == "chunks")
    return found


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_erasure(principal: Principal, tenant: str, chroma: Any | None = None,
                    knowledge: bool = True) -> dict[str, Any]:
    """A confirmation token for erasing ``tenant`` and what it would remove; audited as
    ``tenant.erase_requested``."""
    with audit.audited("tenant.erase_requested", principal, f"tenant:{tenant}") as entry:
        require_admin(principal)
        data.check_tenant(tenant)
        if tenant == principal.tenant:
            raise Conflict(f"tenant {tenant!r} is the tenant of your own key; erase it with "
                           "an admin key of another tenant or with `dia3 tenants erase`")
        token = secrets.token_urlsafe(24)
        get_redis().set(redis_keys.TENANT_ERASURE + tenant,
                        f"{principal.key_id}:{_token_digest(token)}", ex=TOKEN_SECONDS)
        found = summary(tenant, (chroma or _chroma()) if knowledge else None)
        entry.detail.update(found)
        return {"tenant": tenant, "confirm": token, "expires_at": time.time() + TOKEN_SECONDS,
                "will_erase": found}


def _take_token(principal: Principal, tenant: str, token: str | None) -> None:
    """Consume the tenant's confirmation token (single use); a 422 on ``confirm`` when it is
    missing, wrong, expired or someone else's."""
    if not token:
        raise InputError("confirm", "missing: request a confirmation token first "
                                    f"(POST /api/v1/tenants/{tenant}/erasure)")
    stored = get_redis().getdel(redis_keys.TENANT_ERASURE + tenant)
    expected = f"{principal.key_id}:{_token_digest(token)}"
    if not stored or not hmac.compare_digest(stored, expected):
        raise InputError("confirm", "not a valid confirmation token for this tenant and key "
                                    f"(they expire after {TOKEN_SECONDS} s and work once)")


def erase_tenant(principal: Principal, tenant: str, token: str | None,
                 chroma: Any | None = None, knowledge: bool = True) -> dict[str, Any]:
    """Erase the tenant everywhere; audited as ``tenant.erase`` on its pseudonym (the entry
    is written after the log was pseudonymised, so it is the one trace left)."""
    target = f"tenant:{data.pseudonym(tenant) if isinstance(tenant, str) else '-'}"
    with audit.audited("tenant.erase", principal, target) as entry:
        require_admin(principal)
        data.check_tenant(tenant)
        if tenant == principal.tenant:
            raise Conflict(f"tenant {tenant!r} is the tenant of your own key")
        _take_token(principal, tenant, token)
        report = erasure.erase(tenant, job_store(), get_redis(), key_store(),
                               (chroma or _chroma()) if knowledge else None, _chroma_dir())
        entry.detail.update({k: v for k, v in report.items() if k != "tenant"})
        return report

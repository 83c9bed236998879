"""Key management as every surface does it: admins only, every change audited.

The REST API passes the caller's principal; the ``dia3 keys`` commands, which work directly
on DIA3's Redis, act as :data:`app.audit.OPERATOR`. Audit entries name the key id, role and
tenant of a key, never the key itself.
"""

from __future__ import annotations

from app import audit
from app.auth.keys import KeyNotFound, Principal
from app.errors import Forbidden
from app.extensions import key_store


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only admin keys may manage keys")


def create_key(principal: Principal, role: str, tenant: str, name: str = "",
               expires_at: float | None = None) -> tuple[str, Principal]:
    """(the new key in clear, its principal); audited as ``key.create`` on ``key:<id>``."""
    with audit.audited("key.create", principal, "key:-", role=role, tenant=tenant,
                       expires_at=expires_at) as entry:
        require_admin(principal)
        key, created = key_store().create(role, tenant, name=name, expires_at=expires_at)
        entry.target = f"key:{created.key_id}"
        return key, created


@audit.audits("key.rotate", lambda key_id: f"key:{key_id}")
def rotate_key(principal: Principal, key_id: str) -> tuple[str, Principal]:
    """A new secret for ``key_id``; the old one stops working at once."""
    require_admin(principal)
    rotated = key_store().rotate(key_id)
    if rotated is None:
        raise KeyNotFound(key_id)
    return rotated


@audit.audits("key.revoke", lambda key_id: f"key:{key_id}")
def revoke_key(principal: Principal, key_id: str) -> None:
    require_admin(principal)
    if not key_store().revoke(key_id):
        raise KeyNotFound(key_id)

"""API keys stored hashed in Redis.

A key is ``dia3_<id>_<secret>``; only the SHA-256 of the whole key is stored, so a leaked
Redis dump reveals no usable key. Keys are random 256-bit values, which is why a fast hash is
enough here (no password stretching needed). Revocation deletes the hash lookup, so it takes
effect on the next request on every API replica.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import redis

ROLES = ("admin", "analyst", "viewer")
PREFIX = "dia3:apikey:"
INDEX = "dia3:apikeys"


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: str
    tenant: str
    name: str = ""

    def can_write(self) -> bool:
        return self.role in ("admin", "analyst")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    def __init__(self, client: redis.Redis):
        self.r = client

    def create(self, role: str, tenant: str, name: str = "", key: str | None = None,
               key_id: str | None = None) -> tuple[str, Principal]:
        """Create a key; returns (the key in clear, once, and its principal)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not tenant or not tenant.replace("-", "").replace("_", "").isalnum():
            raise ValueError("tenant must be letters, digits, '-' or '_'")
        key_id = key_id or secrets.token_hex(6)
        key = key or f"dia3_{key_id}_{secrets.token_urlsafe(32)}"
        principal = Principal(key_id=key_id, role=role, tenant=tenant, name=name)
        pipe = self.r.pipeline()
        pipe.hset(PREFIX + digest(key), mapping={
            "key_id": key_id, "role": role, "tenant": tenant, "name": name,
            "created_at": repr(time.time())})
        pipe.hset(INDEX, key_id, digest(key))
        pipe.execute()
        return key, principal

    def ensure(self, key: str, role: str, tenant: str, key_id: str, name: str) -> Principal:
        """Register a known key (bootstrap admin) if it is not there yet."""
        found = self.lookup(key)
        if found:
            return found
        return self.create(role, tenant, name=name, key=key, key_id=key_id)[1]

    def lookup(self, key: str) -> Principal | None:
        data = self.r.hgetall(PREFIX + digest(key))
        if not data:
            return None
        return Principal(key_id=data["key_id"], role=data["role"], tenant=data["tenant"],
                         name=data.get("name", ""))

    def list(self) -> list[dict]:
        out = []
        for key_id, dig in sorted(self.r.hgetall(INDEX).items()):
            data = self.r.hgetall(PREFIX + dig)
            if data:
                out.append({"key_id": key_id, "role": data["role"], "tenant": data["tenant"],
                            "name": data.get("name", ""),
                            "created_at": float(data["created_at"])})
        return out

    def revoke(self, key_id: str) -> bool:
        dig = self.r.hget(INDEX, key_id)
        if not dig:
            return False
        pipe = self.r.pipeline()
        pipe.delete(PREFIX + dig)
        pipe.hdel(INDEX, key_id)
        pipe.execute()
        return True

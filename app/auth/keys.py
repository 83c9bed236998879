"""API keys stored hashed in Redis.

A key is ``dia3_<id>_<secret>``; only the SHA-256 of the whole key is stored, so a leaked
Redis dump reveals no usable key. Keys are random 256-bit values, which is why a fast hash is
enough here (no password stretching needed). Revocation and rotation replace the hash lookup
itself, so they take effect on the next request on every API replica: nothing is cached.

Expiry is checked on every lookup. The last use is kept in its own hash by key id (so a
concurrent revocation can never be undone by a late write) and written at most once a minute
per key, guarded by a Redis ``SET NX EX``. Authenticating a request is one round trip: the
lookup, the expiry check and the guarded use record run as one script (:data:`AUTHENTICATE`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

import redis

from app import redis_keys
from app.errors import InputError

ROLES = ("admin", "analyst", "viewer")
TENANT_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # the API's schema checks the same rule
PREFIX = redis_keys.API_KEY
INDEX = redis_keys.API_KEY_INDEX
LAST_USED = redis_keys.API_KEY_LAST_USED
USE_GUARD = redis_keys.API_KEY_USE_GUARD
RETIRED = redis_keys.API_KEY_RETIRED
USE_RESOLUTION_SECONDS = 60
#: how long a revoked or replaced key is still recognised as such (then it is just unknown)
RETIRED_SECONDS = 90 * 86400

# KEYS: the key's hash. ARGV: the use guard's prefix, the last-use hash, now, the guard's
# lifetime. Returns the hash's fields (flat; none for an unknown key) and, for a key that
# has not expired, records its use at most once per guard lifetime.
AUTHENTICATE = """
local data = redis.call('HGETALL', KEYS[1])
if #data == 0 then return data end
local key_id, expires_at = nil, nil
for i = 1, #data, 2 do
  if data[i] == 'key_id' then key_id = data[i + 1] end
  if data[i] == 'expires_at' then expires_at = data[i + 1] end
end
if expires_at and expires_at ~= '' and tonumber(expires_at) <= tonumber(ARGV[3]) then
  return data
end
if key_id and redis.call('SET', ARGV[1] .. key_id, '1', 'NX', 'EX', ARGV[4]) then
  redis.call('HSET', ARGV[2], key_id, ARGV[3])
end
return data
"""


class KeyRejected(Exception):
    """A key may not be used; ``reason`` is ``expired``, ``invalid`` (unknown, revoked or
    replaced by a rotation) or, when none was presented, ``missing``, so the API can say
    which."""

    def __init__(self, reason: str, cause: str | None = None, key_id: str | None = None):
        super().__init__(reason)
        self.reason = reason
        #: what the security metrics and the audit log see (never the caller): ``unknown``,
        #: ``revoked`` or ``rotated`` for an invalid key, else the reason itself
        self.cause = cause or reason
        self.key_id = key_id


class KeyNotFound(LookupError):
    """No key with this id."""

    def __init__(self, key_id: str):
        super().__init__(f"No key {key_id}.")


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

    @property
    def readable_tenant(self) -> str | None:
        """The tenant whose records this key may read one by one (None: any, for admins)."""
        return None if self.is_admin else self.tenant

    def listed_tenant(self, all_tenants: bool = False) -> str | None:
        """The tenant a list shows: the key's own, or every tenant's (None) when an admin
        asks for ``all_tenants``."""
        return None if self.is_admin and all_tenants else self.tenant


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(key_id: str) -> str:
    return f"dia3_{key_id}_{secrets.token_urlsafe(32)}"


def _principal(data: dict) -> Principal:
    return Principal(key_id=data["key_id"], role=data["role"], tenant=data["tenant"],
                     name=data.get("name", ""))


def _epoch(raw: str | None) -> float | None:
    return float(raw) if raw else None


class KeyStore:
    def __init__(self, client: redis.Redis):
        self.r = client
        self._authenticate = client.register_script(AUTHENTICATE)

    def create(self, role: str, tenant: str, name: str = "", key: str | None = None,
               key_id: str | None = None,
               expires_at: float | None = None) -> tuple[str, Principal]:
        """Create a key; returns (the key in clear, once, and its principal). Re-using a key id
        replaces that id's previous key, so no unlisted key can stay valid."""
        if role not in ROLES:
            raise InputError("role", f"must be one of {', '.join(ROLES)}")
        if not re.fullmatch(TENANT_PATTERN, tenant or ""):
            raise InputError("tenant", "must be 1-64 letters, digits, '-' or '_'")
        key_id = key_id or secrets.token_hex(6)
        key = key or new_key(key_id)
        principal = Principal(key_id=key_id, role=role, tenant=tenant, name=name)
        previous = self.r.hget(INDEX, key_id)
        pipe = self.r.pipeline()
        if previous and previous != digest(key):
            pipe.delete(PREFIX + previous)
        pipe.hset(PREFIX + digest(key), mapping={
            "key_id": key_id, "role": role, "tenant": tenant, "name": name,
            "created_at": repr(time.time()),
            "expires_at": repr(expires_at) if expires_at is not None else ""})
        pipe.hset(INDEX, key_id, digest(key))
        pipe.execute()
        return key, principal

    def ensure(self, key: str, role: str, tenant: str, key_id: str, name: str) -> Principal:
        """Register a known key (bootstrap admin) if it is not there yet."""
        found = self.lookup(key)
        if found:
            return found
        return self.create(role, tenant, name=name, key=key, key_id=key_id)[1]

    def _resolve(self, key: str) -> Principal:
        return self._usable(key, self.r.hgetall(PREFIX + digest(key)), time.time())

    def _usable(self, key: str, data: dict, now: float) -> Principal:
        """The principal of a key's hash ``data`` read at ``now``; raises KeyRejected."""
        if not data:
            retired = self.r.hgetall(RETIRED + digest(key))
            raise KeyRejected("invalid", retired.get("cause", "unknown"),
                              retired.get("key_id"))
        expires_at = _epoch(data.get("expires_at"))
        if expires_at is not None and expires_at <= now:
            raise KeyRejected("expired", key_id=data["key_id"])
        return _principal(data)

    def lookup(self, key: str) -> Principal | None:
        """The principal of a usable key; None for an unknown, revoked or expired one."""
        try:
            return self._resolve(key)
        except KeyRejected:
            return None

    def authenticate(self, key: str) -> Principal:
        """The principal of a usable key, recording its use; raises :class:`KeyRejected`.
        One round trip for a usable key (:data:`AUTHENTICATE`)."""
        now = time.time()
        flat = self._authenticate(keys=[PREFIX + digest(key)], args=[
            USE_GUARD, LAST_USED, repr(now), USE_RESOLUTION_SECONDS])
        return self._usable(key, dict(zip(flat[::2], flat[1::2])), now)

    def record_use(self, key_id: str) -> None:
        if self.r.set(USE_GUARD + key_id, "1", nx=True, ex=USE_RESOLUTION_SECONDS):
            self.r.hset(LAST_USED, key_id, repr(time.time()))

    def rotate(self, key_id: str) -> tuple[str, Principal] | None:
        """Give ``key_id`` a new secret (same role, tenant, name, expiry); the old secret stops
        working at once. Returns (the new key in clear, its principal), or None if unknown."""
        key = new_key(key_id)

        def swap(pipe) -> Principal | None:
            old = pipe.hget(INDEX, key_id)
            data = pipe.hgetall(PREFIX + old) if old else {}
            if not data:
                return None
            pipe.multi()
            pipe.delete(PREFIX + old)
            _retire(pipe, old, key_id, "rotated")
            pipe.hset(PREFIX + digest(key), mapping=data)
            pipe.hset(INDEX, key_id, digest(key))
            return _principal(data)

        principal = self.r.transaction(swap, INDEX, value_from_callable=True)
        return (key, principal) if principal else None

    def describe(self, key_id: str) -> dict | None:
        """What an admin may see of a key: never its secret nor its hash."""
        dig = self.r.hget(INDEX, key_id)
        data = self.r.hgetall(PREFIX + dig) if dig else {}
        if not data:
            return None
        return {"key_id": key_id, "role": data["role"], "tenant": data["tenant"],
                "name": data.get("name", ""), "created_at": float(data["created_at"]),
                "expires_at": _epoch(data.get("expires_at")),
                "last_used_at": _epoch(self.r.hget(LAST_USED, key_id))}

    def list(self) -> list[dict]:
        found = (self.describe(key_id) for key_id in sorted(self.r.hkeys(INDEX)))
        return [entry for entry in found if entry]

    def revoke(self, key_id: str) -> bool:
        dig = self.r.hget(INDEX, key_id)
        if not dig:
            return False
        pipe = self.r.pipeline()
        pipe.delete(PREFIX + dig)
        _retire(pipe, dig, key_id, "revoked")
        pipe.hdel(INDEX, key_id)
        pipe.hdel(LAST_USED, key_id)
        pipe.execute()
        return True


def _retire(pipe, dig: str, key_id: str, cause: str) -> None:
    """Remember for a while that the key of hash ``dig`` was revoked or replaced, so its
    later use is told apart from a guess (a revoked key still in use is an alert)."""
    pipe.hset(RETIRED + dig, mapping={"key_id": key_id, "cause": cause})
    pipe.expire(RETIRED + dig, RETIRED_SECONDS)

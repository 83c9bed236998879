"""Pseudonymising an erased tenant in the audit log, which otherwise only ever grows.

A stream entry cannot be edited, so the stream is copied: every entry, with the tenant's
name replaced by its pseudonym (in ``tenant`` and in the detail) and, in the tenant's own
entries, collection names (which may say what the data was about) replaced by their hashes.
The copy keeps every entry's id, so times and cursors stay valid. Entries written while the
copy runs are appended to it by one script that then renames the copy over the stream, so no
entry is lost and readers see either the old stream or the new one.
"""

from __future__ import annotations

import hashlib
import json

import redis

from app import audit
from app.backup.redis_state import audit_entries

SCRATCH = audit.STREAM + ":rewrite"
PAGE = 500

# KEYS: stream, copy. ARGV: id of the last entry copied. Appends the entries after it to the
# copy, then replaces the stream with the copy.
SWAP = """
local tail = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+')
for _, entry in ipairs(tail) do redis.call('XADD', KEYS[2], entry[1], unpack(entry[2])) end
redis.call('RENAME', KEYS[2], KEYS[1])
return #tail
"""


def _hashed(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def scrub(fields: dict[str, str], tenant: str, pseudonym: str) -> dict[str, str]:
    """The entry with the tenant pseudonymised (unchanged when it does not name it)."""
    out = dict(fields)
    own = fields.get("tenant") == tenant
    if fields.get("target") == f"tenant:{tenant}":
        out["target"] = f"tenant:{pseudonym}"
    if own:
        out["tenant"] = pseudonym
        kind, _, name = fields.get("target", "").partition(":")
        if kind == "collection" and name:
            out["target"] = f"collection:{_hashed(name)}"
    try:
        detail = json.loads(fields.get("detail") or "{}")
    except ValueError:
        detail = {}
    changed = {k: (pseudonym if v == tenant else v) for k, v in detail.items()}
    if own and isinstance(changed.get("collection"), str):
        changed["collection"] = _hashed(changed["collection"])
    if changed != detail:
        out["detail"] = json.dumps(changed, separators=(",", ":"))
    return out


def pseudonymise(client: redis.Redis, tenant: str, pseudonym: str) -> int:
    """Rewrite the audit log with ``tenant`` pseudonymised; returns how many entries
    changed."""
    client.delete(SCRATCH)
    changed, last = 0, None
    pipe = client.pipeline(transaction=False)
    for entry_id, fields in audit_entries(client):
        new = scrub(fields, tenant, pseudonym)
        changed += new != fields
        pipe.xadd(SCRATCH, new, id=entry_id)
        last = entry_id
        if len(pipe) >= PAGE:
            pipe.execute()
    pipe.execute()
    if last is None:
        return 0
    client.eval(SWAP, 2, audit.STREAM, SCRATCH, last)
    return changed

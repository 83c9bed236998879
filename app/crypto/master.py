"""The master key's text form, checked where settings are read (without loading Redis or
the cipher)."""

from __future__ import annotations

import base64
import hashlib


def parse_master_key(text: str) -> bytes:
    """32 bytes from their base64 text; raises ValueError otherwise."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise ValueError("not base64 (make one with: openssl rand -base64 32)") from None
    if len(raw) != 32:
        raise ValueError(f"must be 32 bytes, base64-encoded; got {len(raw)} bytes")
    return raw


def master_id(master: bytes) -> str:
    """A short name of a master key that reveals nothing of it."""
    return hashlib.sha256(b"dia3-master:" + master).hexdigest()[:12]

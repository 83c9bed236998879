"""Envelope encryption of what tenants send and get back, wherever DIA3 stores it.

Values are sealed with AES-256-GCM under a *data key*; data keys are random, kept in Redis
only wrapped (AES-GCM) under the *master key* (``DIA3_ENCRYPTION_KEY`` or
``DIA3_ENCRYPTION_KEY_FILE``, never stored by DIA3), and unwrapped once per process. So a
copy of Redis, of the result files or of a backup is unreadable without the master key, and
a new master key only re-wraps the data keys (:meth:`Envelope.rewrap`) instead of rewriting
the data.

A sealed value is text, ``dia3e1:<data key id>:<base64 of nonce and ciphertext>``, so it fits
wherever plain JSON text went (Redis strings and hashes, result files, backups). Each value
is bound to where it belongs (its *context*, e.g. ``result:<job id>``, as associated data):
a sealed value copied under another job fails to open instead of leaking into it. Values
written before encryption was switched on are read as they are; with no master key, nothing
is sealed and a sealed value cannot be opened (:class:`KeyMissing`).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading

import redis
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app import redis_keys
from app.crypto.master import master_id, parse_master_key

PREFIX = "dia3e1:"
NONCE_BYTES = 12
DATA_KEYS = redis_keys.DATA_KEYS
ACTIVE = redis_keys.DATA_KEY_ACTIVE


class KeyMissing(RuntimeError):
    """A sealed value, but no (or another) master key to open it."""


def is_sealed(value: str | bytes) -> bool:
    return (value[:7] == PREFIX.encode()) if isinstance(value, bytes) else \
        value.startswith(PREFIX)


class Envelope:
    """Seals and opens values; ``master=None`` is encryption off."""

    def __init__(self, client: redis.Redis, master: bytes | None):
        self.r = client
        self.master = master
        self._keys: dict[str, AESGCM] = {}
        self._active: str | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.master is not None

    # ---- data keys ---------------------------------------------------------------------------
    def _wrap(self, key_id: str, key: bytes, master: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        wrapped = AESGCM(master).encrypt(nonce, key, f"dia3-data-key:{key_id}".encode())
        return json.dumps({"master": master_id(master),
                           "wrapped": base64.b64encode(nonce + wrapped).decode()})

    def _unwrap(self, key_id: str, record: str, master: bytes) -> bytes:
        """The data key; its record may hold it wrapped twice during a rotation (under the
        new master key and, until :meth:`forget_previous`, the old one)."""
        data = json.loads(record)
        wrappings = [data, *([data["previous"]] if data.get("previous") else [])]
        wanted = master_id(master)
        found = next((w for w in wrappings if w["master"] == wanted), None)
        if found is None:
            raise KeyMissing(f"data key {key_id} is wrapped by master key {data['master']}, "
                             f"not by the configured one ({wanted})")
        raw = base64.b64decode(found["wrapped"])
        return AESGCM(master).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                      f"dia3-data-key:{key_id}".encode())

    def _data_key(self, key_id: str) -> AESGCM:
        found = self._keys.get(key_id)
        if found is not None:
            return found
        if self.master is None:
            raise KeyMissing("a value is encrypted, but no master key is configured "
                             "(DIA3_ENCRYPTION_KEY or DIA3_ENCRYPTION_KEY_FILE)")
        record = self.r.hget(DATA_KEYS, key_id)
        if record is None:
            raise KeyMissing(f"data key {key_id} is not in Redis (restore it from a backup)")
        key = AESGCM(self._unwrap(key_id, record, self.master))
        with self._lock:
            self._keys[key_id] = key
        return key

    def _active_key(self) -> tuple[str, AESGCM]:
        """The data key new values are sealed with, made (once for all processes) on first
        use."""
        if self._active is None:
            active = self.r.get(ACTIVE)
            if active is None:
                key_id = secrets.token_hex(6)
                key = AESGCM.generate_key(bit_length=256)
                self.r.hsetnx(DATA_KEYS, key_id, self._wrap(key_id, key, self.master))
                self.r.set(ACTIVE, key_id, nx=True)
                active = self.r.get(ACTIVE)  # another process may have won the race
            self._active = active.decode() if isinstance(active, bytes) else active
        return self._active, self._data_key(self._active)

    # ---- values ------------------------------------------------------------------------------
    def seal(self, plaintext: bytes, context: str) -> bytes:
        """The value as stored: sealed when encryption is on, else unchanged."""
        if self.master is None:
            return plaintext
        key_id, key = self._active_key()
        nonce = os.urandom(NONCE_BYTES)
        sealed = key.encrypt(nonce, plaintext, context.encode())
        return f"{PREFIX}{key_id}:".encode() + base64.b64encode(nonce + sealed)

    def seal_text(self, plaintext: str, context: str) -> str:
        return self.seal(plaintext.encode(), context).decode()

    def open(self, stored: bytes | str, context: str) -> bytes:
        """The plaintext of a stored value (a value stored unsealed is returned as it is);
        raises :class:`KeyMissing` when it cannot be opened here."""
        raw = stored.encode() if isinstance(stored, str) else stored
        if not is_sealed(raw):
            return raw
        key_id, _, body = raw[len(PREFIX):].partition(b":")
        blob = base64.b64decode(body)
        try:
            return self._data_key(key_id.decode()).decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise KeyMissing(f"a value sealed for another place than {context} or damaged"
                             ) from None

    def open_text(self, stored: bytes | str, context: str) -> str:
        return self.open(stored, context).decode()

    # ---- rotation and backup -----------------------------------------------------------------
    def rewrap(self, old: bytes, new: bytes) -> int:
        """Wrap every data key under ``new`` (the data stays as it is); returns how many.
        The wrapping under ``old`` is kept as the previous one, so processes still running
        with the old key go on working until they are restarted with the new one; then
        :meth:`forget_previous` drops it. Keys already under ``new`` are left alone, so a
        rotation that stopped half-way can be run again."""
        done = 0
        for key_id, record in self.wrapped_keys().items():
            if json.loads(record)["master"] == master_id(new):
                continue
            key = self._unwrap(key_id, record, old)
            rewrapped = json.loads(self._wrap(key_id, key, new))
            rewrapped["previous"] = json.loads(self._wrap(key_id, key, old))
            self.r.hset(DATA_KEYS, key_id, json.dumps(rewrapped))
            done += 1
        return done

    def forget_previous(self) -> int:
        """Drop the old master key's wrappings once every process has the new key."""
        done = 0
        for key_id, record in self.wrapped_keys().items():
            data = json.loads(record)
            if data.pop("previous", None) is not None:
                self.r.hset(DATA_KEYS, key_id, json.dumps(data))
                done += 1
        return done

    def wrapped_keys(self) -> dict[str, str]:
        """Every data key, wrapped, for a backup (useless without the master key)."""
        return {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes)
                                                               else v)
                for k, v in self.r.hgetall(DATA_KEYS).items()}

    def restore_keys(self, records: dict[str, str]) -> int:
        """Put wrapped data keys back (ids are random: an existing id is the same key)."""
        for key_id, record in records.items():
            self.r.hsetnx(DATA_KEYS, key_id, record)
        return len(records)


__all__ = ["Envelope", "KeyMissing", "is_sealed", "master_id", "parse_master_key"]

"""Durable job results: small ones in Redis, large ones as files in the data directory.

A result kept in Redis (``kind`` ``redis``) is stored with the job's state change, by the job
store's scripts: in the job's hash when at most :data:`app.redis_keys.INLINE_MAX` bytes (it
goes with the job), else in a key of its own (:meth:`ResultStore.key`).

Results never expire unless deleted with their job, so any API replica can read them at any
time. File results are written atomically (temp file, fsync, rename) and carry a checksum
(of the result's JSON). With encryption at rest on, both are stored sealed (the ref says
``sealed``); the size limit applies to the JSON, so a result does not move to a file because
sealing made it longer.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import redis

from app import redis_keys
from app.crypto.envelope import Envelope


class ResultStore:
    def __init__(self, client: redis.Redis, data_dir: Path, inline_max_bytes: int,
                 envelope: Envelope | None = None):
        self.r = client
        self.dir = Path(data_dir) / "results"
        self.inline_max = inline_max_bytes
        self.envelope = envelope or Envelope(client, None)

    def _path(self, job_id: str) -> Path:
        return self.dir / job_id[:2] / f"{job_id}.json"

    def put(self, job_id: str, result: Any) -> dict[str, Any]:
        """Store ``result`` and return the reference to keep on the job."""
        ref, inline = self.prepare(job_id, result)
        if inline is not None:
            self.r.set(self.key(job_id), inline)
        return ref

    @staticmethod
    def key(job_id: str) -> str:
        return redis_keys.result(job_id)

    def prepare(self, job_id: str, result: Any) -> tuple[dict[str, Any], bytes | None]:
        """Serialise ``result``; large ones are written to a file now, small ones are returned
        for the caller to store in Redis (atomically with the job's state change)."""
        body = json.dumps(result, separators=(",", ":"), allow_nan=False).encode()
        ref: dict[str, Any] = {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        stored = self.envelope.seal(body, f"result:{job_id}")
        if self.envelope.enabled:
            ref["sealed"] = True
        if len(body) <= self.inline_max:
            ref["kind"] = "redis"
            return ref, stored
        path = self._path(job_id)
        _write_atomically(path, stored)
        ref.update(kind="file", path=str(path.relative_to(self.dir.parent)))
        return ref, None

    def file_path(self, ref: dict[str, Any]) -> Path:
        """Where a file result lives (its ref's path is relative to the data directory)."""
        return self.dir.parent / ref["path"]

    def restore_file(self, job_id: str, ref: dict[str, Any], body: bytes) -> None:
        """Put back a file result from a backup as it was stored; its content must match the
        ref's checksum (a sealed one is opened to check: a restore needs the key)."""
        plain = self.envelope.open(body, f"result:{job_id}")
        if hashlib.sha256(plain).hexdigest() != ref.get("sha256"):
            raise ValueError(f"result file {ref['path']} does not match its checksum")
        _write_atomically(self.file_path(ref), body)

    def get(self, job_id: str, ref: dict[str, Any]) -> Any:
        """Load a result by its reference; raises LookupError when it is gone."""
        return json.loads(self.body(job_id, ref))

    def body(self, job_id: str, ref: dict[str, Any]) -> bytes:
        """A result's JSON as stored (opened when sealed); raises LookupError when gone."""
        if ref.get("kind") == "file":
            path = self.file_path(ref)
            try:
                stored = path.read_bytes()
            except FileNotFoundError:
                raise LookupError(f"result file of job {job_id} is missing") from None
        else:
            pipe = self.r.pipeline(transaction=False)
            pipe.hget(redis_keys.job(job_id), "result")
            pipe.get(self.key(job_id))
            inline, own = pipe.execute()
            stored = inline or own
            if stored is None:
                raise LookupError(f"result of job {job_id} is missing")
        return self.envelope.open(stored, f"result:{job_id}")

    def discard(self, job_id: str, ref: dict[str, Any] | None) -> None:
        self.r.delete(self.key(job_id))
        if ref and ref.get("kind") == "file":
            self.file_path(ref).unlink(missing_ok=True)


def _write_atomically(path: Path, body: bytes) -> None:
    """Results are a tenant's data: 0600 files in 0700 directories, whatever the umask."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)

"""One factory for the vector database: embedded Chroma on disk, or a Chroma server."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.config import Settings

from app.workflows.knowledge.errors import InputError


def connect_chroma(
    path: str | Path | None = None,
    url: str | None = None,
    headers: dict[str, str] | None = None,
) -> ClientAPI:
    """Embedded ``PersistentClient(path)``, or ``HttpClient`` for ``url`` when one is given.

    Everything above this function works the same with either. The embedded store is for a
    single process; several worker processes writing at once need the server.
    """
    settings = Settings(anonymized_telemetry=False)
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError("chroma.url", f"expected http(s)://host[:port], got {url!r}")
        secure = parts.scheme == "https"
        return chromadb.HttpClient(
            host=parts.hostname,
            port=parts.port or (443 if secure else 8000),
            ssl=secure,
            headers=headers,
            settings=settings,
        )
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    raise InputError("chroma", "give either a storage path or a server url")

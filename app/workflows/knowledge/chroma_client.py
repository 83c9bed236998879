"""One factory for the vector database: embedded Chroma on disk, or a Chroma server."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import chromadb
from chromadb import errors as chroma_errors
from chromadb.api import ClientAPI
from chromadb.config import Settings

from app.workflows.knowledge.errors import InputError

# chromadb's FastAPI server (the one DIA3 runs) names this error "InvalidArgument" while its
# client looks up "InvalidArgumentError": unmapped, a bad search filter was a bare Exception.
chroma_errors.error_types.setdefault("InvalidArgument", chroma_errors.InvalidArgumentError)


def connect_chroma(
    path: str | Path | None = None,
    url: str | None = None,
    headers: dict[str, str] | None = None,
    token: str | None = None,
) -> ClientAPI:
    """Embedded ``PersistentClient(path)``, or ``HttpClient`` for ``url`` when one is given,
    sending ``token`` with Chroma's token authentication (the server DIA3 runs requires it).

    Everything above this function works the same with either. The embedded store is for a
    single process; several worker processes writing at once need the server.
    """
    settings = Settings(anonymized_telemetry=False, **(_token_auth(token) if token else {}))
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


def _token_auth(token: str) -> dict[str, str]:
    """Client settings of Chroma's token authentication (the ``X-Chroma-Token`` header)."""
    return {"chroma_client_auth_provider": "chromadb.auth.token_authn.TokenAuthClientProvider",
            "chroma_client_auth_credentials": token,
            "chroma_auth_token_transport_header": "X-Chroma-Token"}

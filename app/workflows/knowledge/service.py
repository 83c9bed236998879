"""The knowledge base as the API, the tasks and the agents use it.

One Chroma client, one store and one embedder of each kind per process (created on first use,
after fork), configured from settings. Tenant scoping happens here: every call takes the
caller's tenant, and the store keeps tenants' collections apart.

The store is always a Chroma *server* (``DIA3_CHROMA_URL``, or the embedded server that
``dia3`` starts for the data directory): Chroma's in-process mode is not safe with several
processes, and DIA3 always runs several.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx

from app.extensions import process_local
from app.settings import get_settings
from app.workflows.knowledge.embeddings import EMBEDDER_KINDS, Embedder, make_embedder
from app.workflows.knowledge.errors import Conflict, EmbedderMismatch, InputError, TransientError
from app.workflows.knowledge.models import CollectionInfo
from app.workflows.knowledge.store import KnowledgeCollection, KnowledgeStore


@contextlib.contextmanager
def reachable() -> Iterator[None]:
    """Turn "the Chroma server is down" into a ``TransientError`` (retry later, HTTP 503)."""
    try:
        yield
    except (httpx.TransportError, ConnectionError) as error:
        raise TransientError(f"the knowledge store (Chroma) is unreachable: {error}",
                             reason="store_unavailable", retry_after=5) from error


def embedder_options(kind: str) -> dict[str, Any]:
    s = get_settings()
    if kind == "local":
        return {"cache_dir": s.models_path / "onnx", "threads": 1}
    if kind == "ollama":
        return {"model": s.ollama_embed_model, "host": s.ollama_url}
    if kind == "openai":
        from app.llm import openai_api_key
        return {"model": s.openai_embed_model, "api_key": openai_api_key(),
                "base_url": s.openai_base_url or None}
    if kind == "hashing":
        return {"dimension": s.hashing_dimension}
    raise InputError("embedder", f"unknown embedder {kind!r}; use one of "
                     f"{', '.join(EMBEDDER_KINDS)}", reason="unknown_embedder")


def embedder(kind: str | None = None) -> Embedder:
    kind = kind or get_settings().embedder
    options = embedder_options(kind)
    return process_local(f"knowledge-embedder:{kind}", lambda: make_embedder(kind, **options))


def embedder_identity(kind: str | None = None) -> str:
    """The identity of the embedder of ``kind`` (default DIA3_EMBEDDER) once it can be made
    here, for start-up checks; otherwise the KnowledgeError that says why not (the local
    model not installed: ``NotInstalled``)."""
    return embedder(kind).identity


def embedder_problem() -> str | None:
    """Why the default embedder (DIA3_EMBEDDER) cannot be made on this host, for the warnings
    of ``dia3 api``/``dia3 worker`` and for ``dia3 doctor``; None if it can."""
    try:
        embedder_identity()
    except Exception as exc:  # noqa: BLE001 - a diagnosis reports whatever went wrong
        return getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
    return None


_CHECK = ("from app.workflows.knowledge.service import embedder_problem\n"
          "print('\\n' + (embedder_problem() or ''), end='')")


def embedder_problem_in_child(timeout: float = 300) -> str | None:
    """:func:`embedder_problem`, asked of a short-lived child process. Making the embedder
    loads its runtime, and ONNX Runtime starts threads: gunicorn's master, which forks the
    API's workers afterwards, would hand them a runtime that aborts them as they boot."""
    try:
        done = subprocess.run([sys.executable, "-c", _CHECK], capture_output=True, text=True,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the embedder check did not finish: {type(exc).__name__}"
    if done.returncode:
        return f"the embedder check failed: {done.stderr.strip()[-500:]}"
    return done.stdout.rsplit("\n", 1)[-1] or None


def kind_of(identity: str) -> str:
    """The embedder kind recorded in a collection's embedder identity ('local:…')."""
    return identity.split(":", 1)[0]


def chroma_url() -> str:
    """The Chroma server: ``DIA3_CHROMA_URL``, else the embedded server of the data directory
    when one runs (``dia3 up``/``api``/``worker`` start it)."""
    url = get_settings().chroma_url
    if url:
        return url
    from app.runtime.embedded_chroma import EmbeddedChroma
    s = get_settings()
    url = EmbeddedChroma(s.data_path, s.chroma_port).running_url()
    if not url:
        raise TransientError("no Chroma server: set DIA3_CHROMA_URL, or run DIA3 with "
                             "`dia3 up`, `dia3 api` or `dia3 worker`, which start one",
                             reason="store_unavailable", retry_after=5)
    return url


def chroma_token() -> str | None:
    """What DIA3 sends the Chroma server: ``DIA3_CHROMA_TOKEN``, else the token of the
    embedded server of the data directory, if there is one."""
    s = get_settings()
    if s.chroma_token:
        return s.chroma_token
    from app.runtime.embedded_chroma import token_path
    path = token_path(s.data_path)
    return path.read_text().strip() if path.exists() else None


def connect():
    """A Chroma client for DIA3's server, with its token."""
    from app.workflows.knowledge.chroma_client import connect_chroma
    url = chroma_url()
    try:
        return connect_chroma(url=url, token=chroma_token())
    except ValueError as error:  # chromadb's "Could not connect to a Chroma server"
        raise TransientError(f"the knowledge store (Chroma) at {url} is unreachable",
                             reason="store_unavailable", retry_after=5) from error


def store() -> KnowledgeStore:
    def make() -> KnowledgeStore:
        from app.extensions import envelope
        return KnowledgeStore(connect(), embed_batch_size=get_settings().embed_batch_size,
                              envelope=envelope())
    return process_local("knowledge-store", make)


# ---- collections ----------------------------------------------------------------------------
def create_collection(tenant: str, name: str, embedder_kind: str | None = None,
                      description: str | None = None) -> CollectionInfo:
    """A new empty collection that will use ``embedder_kind`` (default DIA3_EMBEDDER); a
    tenant at DIA3_COLLECTIONS_PER_TENANT_MAX collections gets ``Conflict`` (a soft cap:
    two creations at the same moment may both pass)."""
    limit = get_settings().collections_per_tenant_max
    with reachable():
        if limit and store().count_collections(tenant) >= limit:
            raise Conflict(f"the tenant already has {limit} collections "
                           "(DIA3_COLLECTIONS_PER_TENANT_MAX); delete one first")
        return store().create_collection(tenant, name, embedder(embedder_kind),
                                         description).info()


def list_collections(tenant: str) -> list[CollectionInfo]:
    with reachable():
        return store().list_collections(tenant)


def describe_collection(tenant: str, name: str) -> CollectionInfo:
    with reachable():
        return store().describe_collection(tenant, name)


def delete_collection(tenant: str, name: str) -> None:
    with reachable():
        store().delete_collection(tenant, name)


def open_collection(tenant: str, name: str, embedder_kind: str | None = None
                    ) -> KnowledgeCollection:
    """Open with the collection's own embedder, or with the one asked for (which must be the
    same; otherwise ``EmbedderMismatch``)."""
    with reachable():
        recorded = store().describe_collection(tenant, name).embedder
        if embedder_kind and embedder_kind != kind_of(recorded):
            raise EmbedderMismatch(name, recorded, embedder_kind)
        return store().open_collection(tenant, name, embedder(kind_of(recorded)))


# ---- documents and search -------------------------------------------------------------------
def list_documents(tenant: str, name: str, limit: int = 50, offset: int = 0) -> dict:
    with reachable():
        return open_collection(tenant, name).list_documents(limit, offset).to_dict()


def get_document(tenant: str, name: str, document_id: str) -> dict:
    with reachable():
        return open_collection(tenant, name).get_document(document_id).to_dict()


def delete_document(tenant: str, name: str, document_id: str) -> int:
    """Remove a document and every chunk of it; returns the number of chunks removed."""
    with reachable():
        return open_collection(tenant, name).delete_document(document_id)


def document_text(tenant: str, name: str, document_id: str | None = None) -> str:
    """The text of a document (or the whole collection), for summaries."""
    return open_collection(tenant, name).document_text(document_id)


def chunk_vectors(tenant: str, name: str, where: dict | None = None,
                  limit: int | None = None) -> list[tuple[str, int, str, Any]]:
    """Every chunk of the tenant's collection (those ``where`` selects) with its stored
    vector: (document id, chunk index, text, vector). More than ``limit`` chunks is an
    ``InputError`` on ``where``, found before they all are in memory."""
    rows: list[tuple[str, int, str, Any]] = []
    with reachable():
        for row in open_collection(tenant, name).chunk_vectors(where):
            if limit is not None and len(rows) >= limit:
                raise InputError("where", f"more than {limit:,} chunks match; narrow them "
                                 "with 'where'", reason="too_many_chunks")
            rows.append(row)
    return rows


def search(tenant: str, name: str, query: str, k: int = 5, where: dict | None = None,
           embedder_kind: str | None = None) -> list[dict]:
    """The ``k`` chunks of the tenant's collection closest in meaning to ``query``: dicts with
    ``chunk_id, document_id, score, text, metadata`` (score = cosine similarity)."""
    with reachable():
        collection = open_collection(tenant, name, embedder_kind)
        return [hit.to_dict() for hit in collection.search(query, k=k, where=where)]

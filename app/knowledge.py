"""The knowledge base as the API, the tasks and the agents use it.

One Chroma client, one store and one embedder of each kind per process (created on first use,
after fork), configured from settings. Tenant scoping happens here: every call takes the
caller's tenant, and the store keeps tenants' collections apart.
"""

from __future__ import annotations

import os
from typing import Any

from app.settings import get_settings
from workers.knowledge.chunking import ChunkingConfig
from workers.knowledge.embeddings import EMBEDDER_KINDS, Embedder, make_embedder
from workers.knowledge.errors import InputError
from workers.knowledge.store import KnowledgeCollection, KnowledgeStore

_cache: dict[tuple[int, str], Any] = {}


def _cached(name: str, factory):
    key = (os.getpid(), name)
    if key not in _cache:
        _cache[key] = factory()
    return _cache[key]


def reset() -> None:
    _cache.clear()


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
    return _cached(f"embedder:{kind}", lambda: make_embedder(kind, **options))


def kind_of(identity: str) -> str:
    """The embedder kind recorded in a collection's embedder identity ('local:…')."""
    return identity.split(":", 1)[0]


def store() -> KnowledgeStore:
    def make() -> KnowledgeStore:
        from workers.knowledge.chroma_client import connect_chroma
        s = get_settings()
        client = connect_chroma(url=s.chroma_url) if s.chroma_url else \
            connect_chroma(path=s.data_path / "chroma")
        return KnowledgeStore(client, embed_batch_size=s.embed_batch_size)
    return _cached("store", make)


def chunking() -> ChunkingConfig:
    s = get_settings()
    return ChunkingConfig(chunk_tokens=s.chunk_tokens, overlap_tokens=s.chunk_overlap_tokens)


def open_collection(tenant: str, name: str, embedder_kind: str | None = None
                    ) -> KnowledgeCollection:
    """Open with the collection's own embedder, or with the one asked for (which must be the
    same; otherwise ``EmbedderMismatch``)."""
    kind = embedder_kind or kind_of(store().describe_collection(tenant, name).embedder)
    return store().open_collection(tenant, name, embedder(kind))


def search(tenant: str, name: str, query: str, k: int = 5, where: dict | None = None,
           embedder_kind: str | None = None) -> list[dict]:
    collection = open_collection(tenant, name, embedder_kind)
    return [hit.to_dict() for hit in collection.search(query, k=k, where=where)]

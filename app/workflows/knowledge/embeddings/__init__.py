"""Pluggable embedders: ``local`` (default), ``ollama``, ``openai`` and ``hashing``.

Backends are imported lazily so that, e.g., using the hashing embedder in a test does not
load onnxruntime, and the local model does not import the HTTP clients.
"""

from __future__ import annotations

from typing import Any

from app.workflows.knowledge.embeddings.base import Embedder
from app.workflows.knowledge.errors import InputError

EMBEDDER_KINDS = ("local", "ollama", "openai", "hashing")


def make_embedder(kind: str = "local", **options: Any) -> Embedder:
    """Build an embedder by name; ``options`` go to that backend's constructor.

    local: model_dir, cache_dir, batch_size, threads
    ollama: model, host, api_key, dimension, batch_size, timeout
    openai: model, api_key, base_url, dimension, batch_size, timeout, max_retries
    hashing: dimension
    """
    if kind == "local":
        from app.workflows.knowledge.embeddings.local import LocalEmbedder

        return LocalEmbedder(**options)
    if kind == "ollama":
        from app.workflows.knowledge.embeddings.ollama_embedder import OllamaEmbedder

        return OllamaEmbedder(**options)
    if kind == "openai":
        from app.workflows.knowledge.embeddings.openai_embedder import OpenAIEmbedder

        return OpenAIEmbedder(**options)
    if kind == "hashing":
        from app.workflows.knowledge.embeddings.hashing import HashingEmbedder

        return HashingEmbedder(**options)
    raise InputError("embedder.kind", f"unknown embedder {kind!r}; use one of "
                     f"{', '.join(EMBEDDER_KINDS)}", reason="unknown_embedder")


__all__ = ["EMBEDDER_KINDS", "Embedder", "make_embedder"]

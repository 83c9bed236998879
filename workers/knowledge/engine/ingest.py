"""Ingestion pipelines: file or text -> chunks -> embeddings -> collection."""

from __future__ import annotations

from collections.abc import Callable
from weakref import WeakKeyDictionary

from app.workflows.knowledge.embeddings.base import Embedder
from app.workflows.knowledge.errors import InputError
from app.workflows.knowledge.ids import document_id_for
from app.workflows.knowledge.models import DocumentInput, IngestReport, Metadata
from app.workflows.knowledge.store import KnowledgeCollection
from workers.knowledge.engine.chunking import (
    ApproxTokenizer,
    ChunkingConfig,
    ModelTokenizer,
    TokenSpanner,
    chunk_text,
)
from workers.knowledge.engine.extract import (
    DEFAULT_MAX_BYTES,
    PLAIN,
    ExtractLimits,
    extract_text,
)

_tokenizers: WeakKeyDictionary[Embedder, TokenSpanner] = WeakKeyDictionary()
BatchCallback = Callable[[int, int], None]


def tokenizer_for(embedder: Embedder) -> TokenSpanner:
    """The embedder's own tokenizer when it has one, else the fast approximation."""
    if embedder not in _tokenizers:
        model_tokenizer = getattr(embedder, "tokenizer", None)
        _tokenizers[embedder] = (ModelTokenizer(model_tokenizer) if model_tokenizer is not None
                                 else ApproxTokenizer())
    return _tokenizers[embedder]


def ingest_text(
    collection: KnowledgeCollection,
    text: str,
    *,
    document_id: str | None = None,
    title: str | None = None,
    source: str | None = None,
    media_type: str = PLAIN,
    metadata: Metadata | None = None,
    chunking: ChunkingConfig | None = None,
    tokenizer: TokenSpanner | None = None,
    on_batch: BatchCallback | None = None,
) -> IngestReport:
    """Chunk and index ``text``; its id is derived from the content unless given.

    ``on_batch(done, total)`` reports embedding progress (see ``add_document``)."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("text", "must be a non-empty string", reason="empty")
    chunks = chunk_text(
        text, tokenizer or tokenizer_for(collection.embedder), chunking or ChunkingConfig()
    )
    document = DocumentInput(
        document_id=document_id or document_id_for(text),
        title=title,
        source=source,
        media_type=media_type,
        metadata=dict(metadata or {}),
    )
    return collection.add_document(document, chunks, on_batch=on_batch)


def ingest_file(
    collection: KnowledgeCollection,
    data: bytes,
    *,
    filename: str | None = None,
    media_type: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ExtractLimits | None = None,
    document_id: str | None = None,
    title: str | None = None,
    source: str | None = None,
    metadata: Metadata | None = None,
    chunking: ChunkingConfig | None = None,
    tokenizer: TokenSpanner | None = None,
    on_batch: BatchCallback | None = None,
) -> IngestReport:
    """Extract text from an uploaded file (txt, md, html, pdf) within ``limits`` and index
    it; ``source`` defaults to the file name."""
    extracted = extract_text(data, filename=filename, media_type=media_type,
                             max_bytes=max_bytes, limits=limits)
    return ingest_text(
        collection,
        extracted.text,
        document_id=document_id,
        title=title or extracted.title or filename,
        source=source or filename,
        media_type=extracted.media_type,
        metadata=metadata,
        chunking=chunking,
        tokenizer=tokenizer,
        on_batch=on_batch,
    )

"""Tenant-scoped knowledge collections on top of Chroma.

Each logical collection ``(tenant, name)`` is two physical Chroma collections whose names
are a hash of tenant and name: one holds the chunks and their vectors, the other a small
manifest record per document (for listing and counting documents). Tenants are recorded
in the collection metadata and checked on every open, so one tenant can neither list nor
reach another's collections, even with the same collection name.

A collection records the identity and dimension of the embedder it was built with; opening
it with another embedder raises ``EmbedderMismatch``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from app.workflows.knowledge.embeddings.base import Embedder
from app.workflows.knowledge.errors import Conflict, EmbedderMismatch, InputError, NotFound
from app.workflows.knowledge.filters import check_where
from app.workflows.knowledge.ids import chunk_id, validate_document_id
from app.workflows.knowledge.metadata import RESERVED_KEYS, validate_metadata
from app.workflows.knowledge.models import (
    Chunk,
    CollectionInfo,
    DocumentInfo,
    DocumentInput,
    DocumentPage,
    IngestReport,
    Metadata,
    SearchHit,
)

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from app.crypto.envelope import Envelope

_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_COLLECTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
MAX_K = 100
#: the metadata key of a chunk's sealed text (encryption at rest)
SEALED_TEXT = "kb_sealed_text"
MAX_PAGE = 500
MAX_OFFSET = 2**31 - 1  # Chroma reads offsets as unsigned 32-bit integers


def chroma_errors() -> ModuleType:
    """Chroma's exception classes, imported only when a handler needs them: importing chromadb
    costs the API process a third of a second at start, and only workers and the knowledge
    endpoints ever talk to Chroma (a handler's classes are looked up only when it catches)."""
    from chromadb import errors
    return errors


class KnowledgeStore:
    """Creates, opens, lists and deletes the collections of each tenant."""

    def __init__(self, client: ClientAPI, embed_batch_size: int = 256,
                 envelope: Envelope | None = None) -> None:
        """``envelope`` seals each chunk's text in Chroma (encryption at rest); vectors, ids
        and metadata stay clear, since search and filters need them."""
        self._client = client
        self._embed_batch_size = embed_batch_size
        self._envelope = envelope

    def create_collection(self, tenant: str, name: str, embedder: Embedder,
                          description: str | None = None) -> KnowledgeCollection:
        """New empty collection; ``Conflict`` if the tenant already has one of that name."""
        chunks_name, manifest_name = _physical_names(tenant, name)
        metadata: dict[str, Any] = {
            "kb_kind": "chunks",
            "kb_tenant": tenant,
            "kb_name": name,
            "kb_embedder": embedder.identity,
            "kb_dimension": int(embedder.dimension),
            "kb_created_at": _now(),
        }
        if description:
            metadata["kb_description"] = description
        try:
            chunks = self._client.create_collection(
                chunks_name, metadata=metadata, embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
        except chroma_errors().ChromaError as error:
            if self._exists(chunks_name):
                raise Conflict(f"collection {name!r} already exists") from error
            raise
        manifest = self._client.get_or_create_collection(
            manifest_name, metadata={"kb_kind": "manifest", "kb_tenant": tenant},
            embedding_function=None,
        )
        return KnowledgeCollection(chunks, manifest, embedder, self._embed_batch_size,
                                   self._client.get_max_batch_size(), self._envelope)

    def open_collection(self, tenant: str, name: str, embedder: Embedder
                        ) -> KnowledgeCollection:
        """Existing collection, bound to ``embedder`` (which must be the one it was built with)."""
        chunks = self._chunks_collection(tenant, name)
        metadata = chunks.metadata or {}
        expected = str(metadata.get("kb_embedder"))
        if embedder.identity != expected:
            raise EmbedderMismatch(name, expected, embedder.identity)
        if int(metadata.get("kb_dimension", 0)) != embedder.dimension:
            raise EmbedderMismatch(name, f"{expected} ({metadata.get('kb_dimension')} dims)",
                                   f"{embedder.identity} ({embedder.dimension} dims)")
        manifest = self._client.get_or_create_collection(
            _physical_names(tenant, name)[1],
            metadata={"kb_kind": "manifest", "kb_tenant": tenant}, embedding_function=None,
        )
        return KnowledgeCollection(chunks, manifest, embedder, self._embed_batch_size,
                                   self._client.get_max_batch_size(), self._envelope)

    def ensure_collection(self, tenant: str, name: str, embedder: Embedder,
                          description: str | None = None) -> KnowledgeCollection:
        """Open the collection, creating it first if it does not exist yet."""
        try:
            return self.open_collection(tenant, name, embedder)
        except NotFound:
            try:
                return self.create_collection(tenant, name, embedder, description)
            except Conflict:  # created concurrently by another worker
                return self.open_collection(tenant, name, embedder)

    def describe_collection(self, tenant: str, name: str) -> CollectionInfo:
        chunks = self._chunks_collection(tenant, name)
        return _collection_info(chunks, self._manifest_count(tenant, name))

    def list_collections(self, tenant: str) -> list[CollectionInfo]:
        """The tenant's collections, by name; other tenants' collections never appear."""
        _validate_tenant(tenant)
        infos = []
        for collection in self._client.list_collections():
            metadata = collection.metadata or {}
            if metadata.get("kb_kind") == "chunks" and metadata.get("kb_tenant") == tenant:
                name = str(metadata["kb_name"])
                infos.append(_collection_info(collection, self._manifest_count(tenant, name)))
        return sorted(infos, key=lambda info: info.name)

    def count_collections(self, tenant: str) -> int:
        """How many collections the tenant has (metadata only, no document counts)."""
        _validate_tenant(tenant)
        return sum(1 for collection in self._client.list_collections()
                   if (collection.metadata or {}).get("kb_kind") == "chunks"
                   and (collection.metadata or {}).get("kb_tenant") == tenant)

    def delete_collection(self, tenant: str, name: str) -> None:
        chunks = self._chunks_collection(tenant, name)
        manifest_name = _physical_names(tenant, name)[1]
        self._client.delete_collection(chunks.name)
        if self._exists(manifest_name):
            self._client.delete_collection(manifest_name)

    def _chunks_collection(self, tenant: str, name: str) -> Collection:
        chunks_name = _physical_names(tenant, name)[0]
        try:
            collection = self._client.get_collection(chunks_name, embedding_function=None)
        except (chroma_errors().NotFoundError, ValueError) as error:
            raise NotFound(f"collection {name!r} does not exist") from error
        if (collection.metadata or {}).get("kb_tenant") != tenant:
            raise NotFound(f"collection {name!r} does not exist")
        return collection

    def _manifest_count(self, tenant: str, name: str) -> int:
        manifest_name = _physical_names(tenant, name)[1]
        if not self._exists(manifest_name):
            return 0
        return self._client.get_collection(manifest_name, embedding_function=None).count()

    def _exists(self, physical_name: str) -> bool:
        try:
            self._client.get_collection(physical_name, embedding_function=None)
        except (chroma_errors().NotFoundError, ValueError):
            return False
        return True


def chunk_context(chunk: str) -> str:
    """Where a sealed chunk text belongs (chunk ids are derived from the text's place)."""
    return f"chunk:{chunk}"


def chunk_text(envelope: Envelope | None, chunk: str, document: str | None,
               metadata: dict[str, Any]) -> str:
    """A chunk's text as stored: the document, or with encryption at rest the sealed text
    in its metadata (taken out of ``metadata``, so callers never show it)."""
    sealed = metadata.pop(SEALED_TEXT, None)
    if sealed is None:
        return document or ""
    if envelope is None:
        raise InputError("text", "the chunk's text is encrypted and no key is configured")
    return envelope.open_text(sealed, chunk_context(chunk))


class KnowledgeCollection:
    """One tenant's collection bound to its embedder: ingest, list, delete, search."""

    def __init__(self, chunks: Collection, manifest: Collection, embedder: Embedder,
                 embed_batch_size: int, upsert_batch_size: int,
                 envelope: Envelope | None = None) -> None:
        self._envelope = envelope
        self._chunks = chunks
        self._manifest = manifest
        self.embedder = embedder
        self._embed_batch_size = embed_batch_size
        self._upsert_batch_size = max(1, upsert_batch_size)
        metadata = chunks.metadata or {}
        self.tenant = str(metadata["kb_tenant"])
        self.name = str(metadata["kb_name"])

    def info(self) -> CollectionInfo:
        return _collection_info(self._chunks, self._manifest.count())

    def add_document(self, document: DocumentInput, chunks: Sequence[Chunk],
                     on_batch: Callable[[int, int], None] | None = None) -> IngestReport:
        """Upsert a document's chunks. Unchanged chunks (same id) are not re-embedded, and
        chunks of an earlier version of the document that no longer exist are removed.

        ``on_batch(done, total)`` is called after each embedded batch (progress reporting;
        it may raise to stop, e.g. when the job was cancelled).
        """
        doc_id = validate_document_id(document.document_id)
        user_metadata = validate_metadata(document.metadata)
        if not chunks:
            raise InputError("text", "the document has no text to index", reason="empty")
        ids = [chunk_id(doc_id, chunk.index, chunk.text) for chunk in chunks]
        existing = set(self._chunks.get(where={"doc_id": doc_id}, include=[])["ids"])
        fresh = [(i, c) for i, c in zip(ids, chunks, strict=True) if i not in existing]
        total = -(-len(fresh) // self._embed_batch_size)
        for number, start in enumerate(range(0, len(fresh), self._embed_batch_size), 1):
            batch = fresh[start : start + self._embed_batch_size]
            vectors = self.embedder.embed([chunk.text for _, chunk in batch])
            self._upsert_chunks(batch, vectors, document, user_metadata)
            if on_batch is not None:
                on_batch(number, total)
        stale = sorted(existing - set(ids))
        self._delete_ids(stale)
        self._record_document(document, user_metadata, len(chunks))
        return IngestReport(doc_id, len(chunks), len(fresh), len(chunks) - len(fresh),
                            len(stale))

    def delete_document(self, document_id: str) -> int:
        """Remove a document and all its chunks; returns how many chunks were removed."""
        validate_document_id(document_id)
        ids = self._chunks.get(where={"doc_id": document_id}, include=[])["ids"]
        known = self._manifest.get(ids=[document_id], include=[])["ids"]
        if not ids and not known:
            raise NotFound(f"document {document_id!r} does not exist in {self.name!r}")
        self._delete_ids(ids)
        self._manifest.delete(ids=[document_id])
        return len(ids)

    def get_document(self, document_id: str) -> DocumentInfo:
        found = self._manifest.get(ids=[validate_document_id(document_id)],
                                   include=["metadatas"])
        if not found["ids"]:
            raise NotFound(f"document {document_id!r} does not exist in {self.name!r}")
        return _document_info(found["ids"][0], found["metadatas"][0])

    def list_documents(self, limit: int = 50, offset: int = 0) -> DocumentPage:
        if not 1 <= limit <= MAX_PAGE:
            raise InputError("limit", f"must be between 1 and {MAX_PAGE}")
        if not 0 <= offset <= MAX_OFFSET:
            raise InputError("offset", f"must be between 0 and {MAX_OFFSET}")
        page = self._manifest.get(limit=limit, offset=offset, include=["metadatas"])
        items = [_document_info(i, m) for i, m in zip(page["ids"], page["metadatas"],
                                                       strict=True)]
        return DocumentPage(items, self._manifest.count(), limit, offset)

    def document_text(self, document_id: str | None = None, max_chunks: int = 5000) -> str:
        """The text of one document (or of every document, one after another), rebuilt from
        its chunks in order with the overlaps between neighbours removed."""
        result = self._chunks.get(where={"doc_id": document_id} if document_id else None,
                                  include=["documents", "metadatas"], limit=max_chunks)
        if document_id and not result["ids"]:
            raise NotFound(f"document {document_id!r} not found in collection {self.name!r}")
        texts = [chunk_text(self._envelope, i, text, meta) for i, text, meta in zip(
            result["ids"], result["documents"], result["metadatas"], strict=True)]
        rows = sorted(zip(texts, result["metadatas"], strict=True),
                      key=lambda row: (str(row[1]["doc_id"]), int(row[1]["chunk_index"])))
        parts: list[str] = []
        previous: tuple[str, int] | None = None
        for text, meta in rows:
            doc, start = str(meta["doc_id"]), int(meta.get("start_char", 0))
            if previous and previous[0] == doc and start < previous[1]:
                text = text[previous[1] - start:]  # drop the part the last chunk had
            elif parts:
                parts.append("\n\n")
            parts.append(text)
            previous = (doc, int(meta.get("end_char", start + len(text))))
        return "".join(parts)

    def chunk_vectors(self, where: dict[str, Any] | None = None, page: int = 1000
                      ) -> Iterator[tuple[str, int, str, np.ndarray]]:
        """Every chunk's (document id, chunk index, text, stored vector), those ``where``
        selects only, a page at a time: topic discovery reads the vectors the collection
        already holds instead of embedding its texts again."""
        if where is not None:
            check_where(where)
        offset = 0
        while True:
            try:
                found = self._chunks.get(where=where, limit=page, offset=offset,
                                         include=["embeddings", "documents", "metadatas"])
            except (ValueError, TypeError, chroma_errors().InvalidArgumentError) as error:
                raise InputError("where", f"invalid filter: {error}") from error
            for text, meta, vector in zip(found["documents"], found["metadatas"],
                                          found["embeddings"], strict=True):
                yield (str(meta["doc_id"]), int(meta["chunk_index"]), text,
                       np.asarray(vector, dtype=np.float32))
            if len(found["ids"]) < page:
                return
            offset += page

    def search(self, query: str, k: int = 5, where: dict[str, Any] | None = None
               ) -> list[SearchHit]:
        """The ``k`` chunks closest in meaning to ``query``; score is cosine similarity."""
        if not isinstance(query, str) or not query.strip():
            raise InputError("query", "must be a non-empty string")
        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise InputError("k", f"must be an integer between 1 and {MAX_K}")
        if where is not None:
            check_where(where)
        vector = self.embedder.embed_query(query)
        try:
            result = self._chunks.query(
                query_embeddings=[vector], n_results=k, where=where,
                include=["documents", "metadatas", "distances"],
            )
        except (ValueError, TypeError, chroma_errors().InvalidArgumentError) as error:
            raise InputError("where", f"invalid filter: {error}") from error
        return [
            SearchHit(chunk, str(meta["doc_id"]), round(1.0 - float(distance), 6),
                      chunk_text(self._envelope, chunk, text, meta), meta)
            for chunk, text, meta, distance in zip(
                result["ids"][0], result["documents"][0], result["metadatas"][0],
                result["distances"][0], strict=True,
            )
        ]

    def _upsert_chunks(self, batch: list[tuple[str, Chunk]], vectors: np.ndarray,
                       document: DocumentInput, user_metadata: Metadata) -> None:
        for start in range(0, len(batch), self._upsert_batch_size):
            part = batch[start : start + self._upsert_batch_size]
            metadatas = [_chunk_metadata(chunk, document, user_metadata) for _, chunk in part]
            sealing = self._envelope is not None and self._envelope.enabled
            if sealing:  # kept as metadata: Chroma's full-text index of documents is no use
                for meta, (id_, chunk) in zip(metadatas, part, strict=True):
                    meta[SEALED_TEXT] = self._envelope.seal_text(chunk.text, chunk_context(id_))
            self._chunks.upsert(
                ids=[id_ for id_, _ in part],
                embeddings=vectors[start : start + len(part)],
                documents=None if sealing else [chunk.text for _, chunk in part],
                metadatas=metadatas,
            )

    def _delete_ids(self, ids: list[str]) -> None:
        for start in range(0, len(ids), self._upsert_batch_size):
            self._chunks.delete(ids=ids[start : start + self._upsert_batch_size])

    def _record_document(self, document: DocumentInput, user_metadata: Metadata,
                         chunk_count: int) -> None:
        previous = self._manifest.get(ids=[document.document_id], include=["metadatas"])
        now = _now()
        created = previous["metadatas"][0]["created_at"] if previous["ids"] else now
        record = _without_none({
            **user_metadata,
            "title": document.title,
            "source": document.source,
            "media_type": document.media_type,
            "chunk_count": chunk_count,
            "created_at": created,
            "updated_at": now,
        })
        # The manifest is never searched by vector; Chroma still needs one per record.
        self._manifest.upsert(ids=[document.document_id], embeddings=[[1.0]],
                              metadatas=[record])


def _chunk_metadata(chunk: Chunk, document: DocumentInput, user_metadata: Metadata
                    ) -> Metadata:
    return _without_none({
        **user_metadata,
        "doc_id": document.document_id,
        "chunk_index": chunk.index,
        "start_char": chunk.start_char,
        "end_char": chunk.end_char,
        "token_count": chunk.token_count,
        "start_time": chunk.start_time,
        "end_time": chunk.end_time,
        "title": document.title,
        "source": document.source,
    })


def _document_info(document_id: str, metadata: Metadata) -> DocumentInfo:
    def optional(key: str) -> str | None:
        value = metadata.get(key)
        return None if value is None else str(value)

    return DocumentInfo(
        document_id=document_id,
        title=optional("title"),
        source=optional("source"),
        media_type=optional("media_type"),
        chunk_count=int(metadata.get("chunk_count", 0)),
        created_at=str(metadata.get("created_at", "")),
        updated_at=str(metadata.get("updated_at", "")),
        metadata={k: v for k, v in metadata.items() if k not in RESERVED_KEYS},
    )


def _collection_info(chunks: Collection, document_count: int) -> CollectionInfo:
    metadata = chunks.metadata or {}
    description = metadata.get("kb_description")
    return CollectionInfo(
        tenant=str(metadata["kb_tenant"]),
        name=str(metadata["kb_name"]),
        embedder=str(metadata["kb_embedder"]),
        dimension=int(metadata["kb_dimension"]),
        created_at=str(metadata["kb_created_at"]),
        document_count=document_count,
        chunk_count=chunks.count(),
        description=None if description is None else str(description),
    )


def _physical_names(tenant: str, name: str) -> tuple[str, str]:
    """Chroma names for the chunks and manifest of ``(tenant, name)``."""
    _validate_tenant(tenant)
    if not isinstance(name, str) or not _COLLECTION.match(name):
        raise InputError("collection", "must be 1-128 characters: letters, digits and _.- ,"
                                       " starting with a letter or digit")
    digest = hashlib.sha256(f"{tenant}\x00{name}".encode()).hexdigest()[:40]
    return f"kb-{digest}", f"kb-{digest}-docs"


def _validate_tenant(tenant: str) -> None:
    if not isinstance(tenant, str) or not _TENANT.match(tenant):
        raise InputError("tenant", "must be 1-64 characters: letters, digits and _.- ,"
                                   " starting with a letter or digit")


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

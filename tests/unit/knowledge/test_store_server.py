"""The same store code against a Chroma server (``HttpClient``) instead of embedded.

Uses the test session's Chroma server (``chroma_url`` fixture); tenants are unique per run,
so whatever else lives on that server is never seen.
"""

from __future__ import annotations

import uuid

import pytest

from app.workflows.knowledge.chroma_client import connect_chroma
from app.workflows.knowledge.errors import Conflict
from app.workflows.knowledge.store import KnowledgeStore
from workers.knowledge.engine.chunking import ApproxTokenizer, ChunkingConfig
from workers.knowledge.engine.ingest import ingest_text


def test_server_backed_store_behaves_like_embedded(chroma_url, chroma_token,
                                                   hashing_embedder) -> None:
    store = KnowledgeStore(connect_chroma(url=chroma_url, token=chroma_token))
    tenant_a, tenant_b = (f"t{uuid.uuid4().hex[:12]}" for _ in range(2))
    collection = store.create_collection(tenant_a, "docs", hashing_embedder)
    store.create_collection(tenant_b, "docs", hashing_embedder)
    config, tokenizer = ChunkingConfig(30, 5), ApproxTokenizer()
    text = "Servers keep vectors for many workers. " * 20

    first = ingest_text(collection, text, chunking=config, tokenizer=tokenizer)
    again = ingest_text(collection, text, chunking=config, tokenizer=tokenizer)

    assert again.chunks_added == 0
    assert collection.info().chunk_count == first.chunks_total
    assert [c.name for c in store.list_collections(tenant_a)] == ["docs"]
    assert store.describe_collection(tenant_b, "docs").chunk_count == 0
    assert collection.search("vectors for workers", k=1)[0].document_id == first.document_id
    with pytest.raises(Conflict):
        store.create_collection(tenant_a, "docs", hashing_embedder)
    assert collection.delete_document(first.document_id) == first.chunks_total
    for tenant in (tenant_a, tenant_b):
        store.delete_collection(tenant, "docs")
        assert store.list_collections(tenant) == []

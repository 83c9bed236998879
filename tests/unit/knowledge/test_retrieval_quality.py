"""Semantic retrieval on a labelled set of paraphrased queries, end to end through the store.

The local model must find the right passage for queries that share few words with it;
the lexical hashing embedder must do clearly worse, which shows the test measures meaning.
"""

from __future__ import annotations

import pytest

from app.workflows.knowledge.chroma_client import connect_chroma
from app.workflows.knowledge.store import KnowledgeStore
from workers.knowledge.engine.chunking import ChunkingConfig
from workers.knowledge.engine.ingest import ingest_text

from .conftest import DATA_DIR, load_json

PAIRS = load_json(DATA_DIR / "retrieval_pairs.json")["pairs"]


def recall_at(store: KnowledgeStore, embedder, name: str) -> tuple[float, float]:
    collection = store.create_collection("eval", name, embedder)
    for number, pair in enumerate(PAIRS):
        ingest_text(collection, pair["passage"], document_id=f"p{number}",
                    chunking=ChunkingConfig(chunk_tokens=128, overlap_tokens=0))
    hits_at_1 = hits_at_5 = 0
    for number, pair in enumerate(PAIRS):
        ranked = [hit.document_id for hit in collection.search(pair["query"], k=5)]
        hits_at_1 += ranked[:1] == [f"p{number}"]
        hits_at_5 += f"p{number}" in ranked
    return hits_at_1 / len(PAIRS), hits_at_5 / len(PAIRS)


@pytest.fixture(scope="module")
def recalls(tmp_path_factory, local_embedder) -> dict[str, tuple[float, float]]:
    from app.workflows.knowledge.embeddings.hashing import HashingEmbedder

    store = KnowledgeStore(connect_chroma(path=tmp_path_factory.mktemp("eval")))
    results = {
        "local": recall_at(store, local_embedder, "local"),
        "hashing": recall_at(store, HashingEmbedder(dimension=384), "hashing"),
    }
    for name, (at1, at5) in results.items():
        print(f"\n{name:8s} recall@1={at1:.3f} recall@5={at5:.3f} ({len(PAIRS)} queries)")
    return results


def test_labelled_set_is_big_enough() -> None:
    assert len(PAIRS) >= 40
    assert len({pair["passage"] for pair in PAIRS}) == len(PAIRS)


def test_local_model_retrieves_paraphrases(recalls) -> None:
    at1, at5 = recalls["local"]
    assert at5 >= 0.9
    assert at1 >= 0.8


def test_hashing_embedder_is_clearly_worse(recalls) -> None:
    local_at1, local_at5 = recalls["local"]
    hashing_at1, hashing_at5 = recalls["hashing"]
    assert local_at5 - hashing_at5 >= 0.4
    assert local_at1 - hashing_at1 >= 0.4

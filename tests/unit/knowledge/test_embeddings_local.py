"""The local ONNX model must reproduce sentence-transformers' all-MiniLM-L6-v2 vectors."""

from __future__ import annotations

import numpy as np
import pytest

from app.workflows.knowledge.embeddings import make_embedder
from app.workflows.knowledge.embeddings.local import LocalEmbedder

from .conftest import DATA_DIR, load_json


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_matches_sentence_transformers_reference(local_embedder: LocalEmbedder) -> None:
    reference = load_json(DATA_DIR / "minilm_reference_embeddings.json")
    texts = [item["text"] for item in reference["items"]]
    expected = np.array([item["embedding"] for item in reference["items"]], dtype=np.float32)

    cosines = cosine_rows(local_embedder.embed(texts), expected)

    print(f"\nreference cosine: min={cosines.min():.6f} mean={cosines.mean():.6f}")
    assert len(texts) == 12
    assert cosines.min() >= 0.999


def test_vectors_are_unit_length_and_sized(local_embedder: LocalEmbedder) -> None:
    vectors = local_embedder.embed(["one", "two words", ""])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert local_embedder.identity == "local:all-MiniLM-L6-v2"
    assert local_embedder.dimension == 384


def test_batch_padding_does_not_change_vectors(local_embedder: LocalEmbedder) -> None:
    short = "Short sentence about cats."
    long = "A much longer sentence " + "that keeps going " * 40
    alone = local_embedder.embed([short])
    padded = local_embedder.embed([long, short, long])[1:2]
    assert cosine_rows(alone, padded)[0] > 0.99999


def test_inputs_are_truncated_at_model_limit(local_embedder: LocalEmbedder) -> None:
    text = "token " * 1000
    assert local_embedder.max_length == 256
    assert len(local_embedder.tokenizer.encode(text).ids) == 256
    assert local_embedder.embed([text]).shape == (1, 384)


def test_empty_input_gives_empty_matrix(local_embedder: LocalEmbedder) -> None:
    assert local_embedder.embed([]).shape == (0, 384)


def test_query_vector_equals_document_vector(local_embedder: LocalEmbedder) -> None:
    text = "where is the nearest train station"
    np.testing.assert_allclose(
        local_embedder.embed_query(text), local_embedder.embed([text])[0], atol=1e-6
    )


def test_cached_graph_is_reused(local_embedder: LocalEmbedder, tmp_path) -> None:
    cache_dir = local_embedder._cache_dir
    cached = sorted(cache_dir.glob("*.onnx"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns

    again = LocalEmbedder(cache_dir=cache_dir)
    again.warm_up()

    assert sorted(cache_dir.glob("*.onnx")) == cached
    assert cached[0].stat().st_mtime_ns == mtime
    assert not list(cache_dir.glob("*.tmp"))


def test_unusable_cache_dir_falls_back_to_memory(tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")
    embedder = LocalEmbedder(cache_dir=blocker)
    assert embedder.embed(["still works"]).shape == (1, 384)


def test_factory_builds_each_kind(tmp_path) -> None:
    assert make_embedder("hashing", dimension=64).identity == "hashing:64"
    assert make_embedder("local", cache_dir=tmp_path).identity == "local:all-MiniLM-L6-v2"
    ollama = make_embedder("ollama", model="all-minilm", host="http://127.0.0.1:9")
    assert ollama.identity == "ollama:all-minilm"
    openai = make_embedder("openai", model="text-embedding-3-small", api_key="k")
    assert openai.identity == "openai:text-embedding-3-small"


def test_factory_rejects_unknown_kind() -> None:
    from app.workflows.knowledge.errors import InputError

    with pytest.raises(InputError) as caught:
        make_embedder("word2vec")
    assert caught.value.field == "embedder.kind"
    assert "word2vec" in str(caught.value)

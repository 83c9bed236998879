"""The topics engine on synthetic texts whose topics are known: separable clusters are
recovered, a seed fixes the result, labels are each topic's distinctive words, and ``auto``
leaves texts that belong nowhere as outliers."""

from __future__ import annotations

import numpy as np
import pytest

from workers.topics.engine import find_topics
from workers.topics.engine.documents import documents_of
from workers.topics.engine.labels import class_keywords
from workers.topics.engine.text import clean

VOCABULARY = {
    "sport": ["match", "goal", "striker", "league", "coach", "season", "cup", "keeper"],
    "money": ["shares", "bank", "profit", "inflation", "investors", "bond", "market", "rates"],
    "space": ["rocket", "orbit", "nasa", "launch", "satellite", "mars", "astronaut", "probe"],
}
COMMON = ["the", "new", "report", "today", "week", "said"]


def corpus(per_topic: int = 30, seed: int = 0, spread: float = 0.15
           ) -> tuple[list[str], np.ndarray, list[str]]:
    """Texts drawn from each topic's words plus common ones, and embeddings around one
    direction per topic (what a sentence encoder gives texts about one thing)."""
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.normal(size=(32, 32)))[0][:len(VOCABULARY)]
    texts, vectors, truth = [], [], []
    for (name, words), centre in zip(VOCABULARY.items(), centres, strict=True):
        for _ in range(per_topic):
            picked = list(rng.choice(words, 5)) + list(rng.choice(COMMON, 3))
            texts.append(" ".join(rng.permutation(picked)))
            vectors.append(centre + spread * rng.normal(size=32) / np.sqrt(32))
            truth.append(name)
    order = rng.permutation(len(texts))  # topics interleaved in input order
    return ([texts[i] for i in order], np.array(vectors, dtype=np.float32)[order],
            [truth[i] for i in order])


def agreement(truth: list[str], assignments: list[int]) -> float:
    """Share of texts in their topic's majority cluster (1.0: recovered exactly)."""
    hits = 0
    for name in set(truth):
        found = [a for t, a in zip(truth, assignments, strict=True) if t == name]
        hits += max(found.count(a) for a in set(found))
    return hits / len(truth)


def test_separable_clusters_are_recovered_with_k():
    texts, vectors, truth = corpus()
    result = find_topics(texts, vectors, k=3, seed=1)
    assert result["method"] == "kmeans" and result["k"] == 3 and result["outliers"] == 0
    assert len(result["assignments"]) == len(texts)
    assert agreement(truth, result["assignments"]) == 1.0
    assert len(set(result["assignments"])) == 3
    assert sorted(t["size"] for t in result["topics"]) == [30, 30, 30]


def test_assignments_follow_input_order_and_topics_are_numbered_by_size():
    texts, vectors, truth = corpus()
    keep = [i for i, name in enumerate(truth) if name != "space" or i % 3 == 0]
    texts, vectors = [texts[i] for i in keep], vectors[keep]
    result = find_topics(texts, vectors, k=3, seed=0)
    sizes = [t["size"] for t in result["topics"]]
    assert [t["id"] for t in result["topics"]] == [0, 1, 2]
    assert sizes == sorted(sizes, reverse=True) and sizes[2] < 30
    for topic in result["topics"]:
        assert result["assignments"].count(topic["id"]) == topic["size"]
        for item in topic["representatives"]:
            assert result["assignments"][item["index"]] == topic["id"]
            assert item["text"] == texts[item["index"]]


def test_the_same_seed_gives_the_same_topics_and_another_seed_still_valid():
    texts, vectors, _ = corpus(spread=0.9)  # overlapping: the start matters
    first = find_topics(texts, vectors, k=5, seed=42)
    assert find_topics(texts, vectors, k=5, seed=42) == first
    other = find_topics(texts, vectors, k=5, seed=43)
    assert len(other["assignments"]) == len(texts) and other["seed"] == 43


def test_labels_are_each_topics_distinctive_words():
    texts, vectors, truth = corpus()
    result = find_topics(texts, vectors, k=3, seed=0, keywords=5)
    for topic in result["topics"]:
        members = {truth[i] for i, a in enumerate(result["assignments"]) if a == topic["id"]}
        (name,) = members
        assert len(topic["keywords"]) == 5
        assert set(topic["keywords"]) <= set(VOCABULARY[name])  # never the common words
        assert topic["label"] == ", ".join(topic["keywords"][:4])


def test_class_tf_idf_prefers_words_of_one_topic_over_words_everywhere():
    texts = ["apple apple banana", "apple cherry", "engine wheel banana", "wheel brake"]
    labels = np.array([0, 0, 1, 1])
    words = class_keywords(texts, labels, [0, 1], top=2)
    assert words == {0: ["apple", "cherry"], 1: ["wheel", "brake"]}
    # banana is as frequent in both topics: it tells them apart less than any other word
    assert class_keywords(texts, labels, [0, 1], top=10)[0][-1] == "banana"


def test_auto_finds_the_topics_and_leaves_stray_texts_as_outliers():
    texts, vectors, truth = corpus(per_topic=40, spread=0.1)
    strays = np.random.default_rng(1).normal(size=(4, 32))  # about nothing in particular
    texts += ["lorem ipsum dolor", "quux frobnicate", "zebra xylophone", "plinth quorum"]
    vectors = np.vstack([vectors, strays])
    result = find_topics(texts, vectors, k="auto", seed=0)
    assert result["method"] == "hdbscan" and result["requested_k"] == "auto"
    assert result["k"] == 3
    assert agreement(truth, result["assignments"][:120]) >= 0.95
    # too few to be a topic of their own: those that land on no topic's direction are
    # outliers, and no text of a topic is one
    assert result["outliers"] >= 1 and -1 not in result["assignments"][:120]
    assert sum(t["size"] for t in result["topics"]) + result["outliers"] == len(texts)
    assert find_topics(texts, vectors, k="auto", seed=0) == result


def test_tiny_inputs_still_get_topics():
    result = find_topics(["one text"], np.ones((1, 4), dtype=np.float32), k=1)
    assert result["assignments"] == [0] and result["topics"][0]["size"] == 1
    auto = find_topics(["a b", "c d"], np.eye(2, dtype=np.float32), k="auto")
    assert len(auto["assignments"]) == 2


def test_mismatched_vectors_or_too_large_k_are_refused():
    with pytest.raises(ValueError):
        find_topics(["a", "b"], np.ones((3, 4)), k=1)
    with pytest.raises(ValueError):
        find_topics(["a", "b"], np.ones((2, 4)), k=3)


def test_crawl_residue_is_cleaned_before_counting_words():
    assert clean("Apple#39;s shares rose #36;5 to quot;buy quot; now\\then") == \
        "Apple's shares rose $5 to \"buy \" now then"


def test_chunks_become_documents_in_id_order_with_their_chunks_in_order():
    rows = [("b", 1, "world", np.array([0.0, 2.0])), ("a", 0, "solo", np.array([3.0, 0.0])),
            ("b", 0, "hello", np.array([2.0, 0.0]))]
    ids, texts, vectors = documents_of(rows)
    assert ids == ["a", "b"] and texts == ["solo", "hello world"]
    assert vectors[1] == pytest.approx([2 ** -0.5, 2 ** -0.5])
    assert documents_of([])[0] == []

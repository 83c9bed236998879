"""``find_topics``: features, clustering, then each topic described by its c-TF-IDF
keywords and its most central texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from workers.topics.engine import clustering
from workers.topics.engine.features import combined
from workers.topics.engine.labels import class_keywords, label_of

AUTO = "auto"
KEYWORDS = 10
REPRESENTATIVES = 3
SNIPPET_CHARS = 300


def find_topics(texts: Sequence[str], vectors: np.ndarray, k: int | str = AUTO,
                seed: int = 0, keywords: int = KEYWORDS,
                representatives: int = REPRESENTATIVES, threads: int = 1) -> dict[str, Any]:
    """Topics of ``texts`` (``vectors``: their embeddings, one row each).

    ``k`` topics by k-means, or ``"auto"``: as many as HDBSCAN finds, with the texts that
    fit none assigned -1. Topics are numbered by size, largest first; ``assignments`` has a
    topic id per text in input order. The same inputs and seed give the same result.

    ``threads`` caps the BLAS/OpenMP threads of the SVD and k-means: a worker shares its
    cores with other workers, and there scikit-learn's default of one thread per core
    oversubscribes them (k-means on 3,800 texts took 35 s instead of 4 on two busy cores).
    """
    with threadpool_limits(threads):
        return _find_topics(texts, vectors, k, seed, keywords, representatives)


def _find_topics(texts: Sequence[str], vectors: np.ndarray, k: int | str, seed: int,
                 keywords: int, representatives: int) -> dict[str, Any]:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(texts):
        raise ValueError(f"{len(texts)} texts but vectors of shape {vectors.shape}")
    if k != AUTO and not 1 <= int(k) <= len(texts):
        raise ValueError(f"k={k} needs at least {k} texts, got {len(texts)}")
    features = combined(texts, vectors, seed)
    if k == AUTO:
        raw, method = clustering.hdbscan(features, seed), "hdbscan"
    else:
        raw, method = clustering.kmeans(features, int(k), seed), "kmeans"
    labels = _by_size(raw)
    topic_ids = sorted(int(t) for t in set(labels.tolist()) if t != clustering.OUTLIER)
    words = class_keywords(texts, labels, topic_ids, keywords)
    topics = [{"id": topic, "label": label_of(words[topic]), "keywords": words[topic],
               "size": int((labels == topic).sum()),
               "representatives": _central(texts, features, labels, topic, representatives)}
              for topic in topic_ids]
    return {"topics": topics, "assignments": labels.tolist(),
            "outliers": int((labels == clustering.OUTLIER).sum()),
            "k": len(topics), "requested_k": k, "method": method, "seed": seed,
            "count": len(texts)}


def _by_size(raw: np.ndarray) -> np.ndarray:
    """Renumber clusters 0, 1, … by size (largest first, then by first member), so that ids
    do not depend on the clustering's internal numbering; -1 stays -1."""
    found = [c for c in np.unique(raw) if c != clustering.OUTLIER]
    order = sorted(found, key=lambda c: (-(raw == c).sum(), int(np.argmax(raw == c))))
    mapping = {int(c): new for new, c in enumerate(order)}
    return np.array([mapping.get(int(c), clustering.OUTLIER) for c in raw], dtype=np.int64)


def _central(texts: Sequence[str], features: np.ndarray, labels: np.ndarray, topic: int,
             count: int) -> list[dict[str, Any]]:
    """The ``count`` members closest (cosine) to the topic's mean, closest first."""
    members = np.flatnonzero(labels == topic)
    centre = features[members].mean(axis=0)
    similarity = features[members] @ (centre / max(float(np.linalg.norm(centre)), 1e-12))
    order = np.lexsort((members, -similarity))[:count]
    return [{"index": int(members[i]), "text": texts[members[i]][:SNIPPET_CHARS],
             "similarity": round(float(similarity[i]), 4)} for i in order]

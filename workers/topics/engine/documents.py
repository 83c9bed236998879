"""A collection's chunks as documents: topics are found per document, not per chunk, so a
long document counts once and lands in one topic."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from sklearn.preprocessing import normalize


def documents_of(chunks: Iterable[tuple[str, int, str, np.ndarray]]
                 ) -> tuple[list[str], list[str], np.ndarray]:
    """(document ids sorted, their texts, their vectors) from (document id, chunk index,
    text, vector) rows in any order: a document's text is its chunks in order, its vector
    the normalised mean of their vectors (the centre of what it talks about)."""
    by_document: dict[str, list[tuple[int, str, np.ndarray]]] = defaultdict(list)
    for document_id, index, text, vector in chunks:
        by_document[document_id].append((index, text, vector))
    ids = sorted(by_document)
    texts, vectors = [], []
    for document_id in ids:
        parts = sorted(by_document[document_id], key=lambda part: part[0])
        texts.append(" ".join(text for _, text, _ in parts))
        vectors.append(np.mean([vector for _, _, vector in parts], axis=0))
    if not ids:
        return [], [], np.empty((0, 0), dtype=np.float32)
    return ids, texts, normalize(np.vstack(vectors)).astype(np.float32)

"""Extractive summaries: the most central sentences of a transcript, with their timestamps.

TextRank over sentence embeddings: sentences are nodes, cosine similarities are edge
weights, and PageRank finds the sentences most supported by the rest. Near-duplicates of
an already chosen sentence are skipped, and the result is returned in speaking order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from app.workflows.knowledge.embeddings.base import Embedder
from app.workflows.knowledge.errors import InputError
from workers.knowledge.engine.chunking import TimedSegment

_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*$")


@dataclass(frozen=True)
class KeySentence:
    text: str
    start: float | None
    end: float | None
    score: float
    position: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_sentences(segments: Sequence[TimedSegment], max_words: int = 40
                    ) -> list[TimedSegment]:
    """Regroup caption segments into sentences, each timed from its first to last word.

    Auto-generated captions often lack punctuation, so a sentence is also cut after
    ``max_words`` words.
    """
    words = [(word, seg.start, seg.end) for seg in segments for word in seg.text.split()]
    sentences: list[TimedSegment] = []
    current: list[tuple[str, float, float]] = []
    for word in words:
        current.append(word)
        if _SENTENCE_END.search(word[0]) or len(current) >= max_words:
            sentences.append(_join(current))
            current = []
    if current:
        sentences.append(_join(current))
    return sentences


def _join(words: list[tuple[str, float, float]]) -> TimedSegment:
    return TimedSegment(" ".join(w for w, _, _ in words), words[0][1], words[-1][2])


def summarize_segments(segments: Sequence[TimedSegment], embedder: Embedder,
                       max_sentences: int = 5, min_words: int = 4) -> list[KeySentence]:
    """Up to ``max_sentences`` key sentences of a timed transcript, in order of appearance."""
    if max_sentences < 1:
        raise InputError("max_sentences", "must be at least 1")
    sentences = [s for s in split_sentences(segments) if len(s.text.split()) >= min_words]
    if not sentences:
        sentences = split_sentences(segments)
    if not sentences:
        return []
    vectors = embedder.embed([s.text for s in sentences])
    scores = _textrank(vectors)
    chosen = _pick_diverse(scores, vectors, max_sentences)
    return [
        KeySentence(sentences[i].text, sentences[i].start, sentences[i].end,
                    round(float(scores[i]), 6), i)
        for i in sorted(chosen)
    ]


def summarize_text(text: str, embedder: Embedder, max_sentences: int = 5) -> list[KeySentence]:
    """Key sentences of untimed text (start and end are None)."""
    keys = summarize_segments([TimedSegment(text, 0.0, 0.0)], embedder, max_sentences)
    return [KeySentence(k.text, None, None, k.score, k.position) for k in keys]


def _textrank(vectors: np.ndarray, damping: float = 0.85, iterations: int = 100,
              tolerance: float = 1e-8) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.maximum(norms, 1e-12)
    weights = np.clip(unit @ unit.T, 0.0, None)
    np.fill_diagonal(weights, 0.0)
    n = len(weights)
    out_weight = weights.sum(axis=1, keepdims=True)
    # Rows with no similar sentence spread their rank evenly (standard dangling-node rule).
    transition = np.where(out_weight > 0, weights / np.maximum(out_weight, 1e-12), 1.0 / n)
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        updated = (1 - damping) / n + damping * transition.T @ rank
        if np.abs(updated - rank).sum() < tolerance:
            return updated
        rank = updated
    return rank


def _pick_diverse(scores: np.ndarray, vectors: np.ndarray, limit: int,
                  max_similarity: float = 0.92) -> list[int]:
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    chosen: list[int] = []
    for index in np.argsort(-scores, kind="stable"):
        if all(float(unit[index] @ unit[j]) < max_similarity for j in chosen):
            chosen.append(int(index))
        if len(chosen) == limit:
            break
    return chosen

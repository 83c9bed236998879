"""Extractive summaries: the sentences whose content words are most frequent overall.

A classic frequency-based scorer (Luhn-style) with a small bonus for a passage's opening
sentence and for words of an optional focus text, so summaries lean towards the question.
Ties break by position, so output is fully deterministic.
"""

from __future__ import annotations

import math
from collections import Counter

from workers.llm.extractive.text import content_words, split_sentences, stem

LEAD_BONUS = 0.15
FOCUS_WEIGHT = 1.0


def sentence_scores(
    sentences: list[str], focus: str = "", leading: set[int] | None = None
) -> list[float]:
    """A relevance score in [0, ~2.15] for each sentence; ``leading`` marks opening sentences."""
    stems_per_sentence = [[stem(w) for w in content_words(s)] for s in sentences]
    frequency = Counter(w for stems in stems_per_sentence for w in stems)
    top = max(frequency.values(), default=1)
    focus_stems = {stem(w) for w in content_words(focus)}
    leading = leading if leading is not None else {0}
    scores = []
    for index, stems in enumerate(stems_per_sentence):
        if not stems:
            scores.append(0.0)
            continue
        unique = set(stems)
        density = sum(frequency[w] for w in unique) / (top * math.sqrt(len(stems)) * 2)
        score = min(density, 1.0)
        if focus_stems:
            score += FOCUS_WEIGHT * len(unique & focus_stems) / len(focus_stems)
        if index in leading:
            score += LEAD_BONUS
        scores.append(round(score, 6))
    return scores


def top_sentence_indices(scores: list[float], count: int) -> list[int]:
    """Indices of the ``count`` best scores, returned in document order."""
    ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:count]
    return sorted(ranked)


def summarise(text: str, max_sentences: int = 3, focus: str = "") -> str:
    """The ``max_sentences`` most representative sentences of ``text``, in original order."""
    sentences = split_sentences(text)
    if not sentences:
        return ""
    scores = sentence_scores(sentences, focus)
    return " ".join(sentences[i] for i in top_sentence_indices(scores, max_sentences))

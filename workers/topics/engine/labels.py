"""Topic labels by class-based TF-IDF (c-TF-IDF, as in BERTopic): the words frequent in a
topic's texts and rare across the other topics.

All texts of a topic count as one document; a word's weight in topic c is its frequency in
c (divided by c's word count) times ``log(1 + A / f)``, with A the mean number of words per
topic and f the word's frequency over all topics. Plain TF-IDF over single texts would pick
words that are rare anywhere, not words that tell topics apart."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from workers.topics.engine.text import clean

#: words of two or more letters: numbers and stray symbols make poor labels
WORD = r"(?u)\b[^\W\d_]{2,}\b"


def class_keywords(texts: Sequence[str], labels: np.ndarray, topics: Sequence[int],
                   top: int) -> dict[int, list[str]]:
    """The ``top`` c-TF-IDF words of each topic in ``topics`` (texts labelled -1 count for
    none), best first; ties go to the alphabetically first word."""
    empty: dict[int, list[str]] = {topic: [] for topic in topics}
    if not topics:
        return empty
    vectorizer = CountVectorizer(stop_words="english", token_pattern=WORD, lowercase=True)
    try:
        counts = vectorizer.fit_transform([clean(t) for t in texts])
    except ValueError:  # no words at all
        return empty
    vocabulary = vectorizer.get_feature_names_out()
    per_topic = np.vstack([np.asarray(counts[labels == topic].sum(axis=0)).ravel()
                           for topic in topics]).astype(np.float64)
    totals = per_topic.sum(axis=1, keepdims=True)
    frequency = per_topic.sum(axis=0)
    idf = np.log1p(totals.mean() / np.maximum(frequency, 1.0))
    scores = per_topic / np.maximum(totals, 1.0) * idf
    keywords = {}
    for row, topic in enumerate(topics):
        order = np.lexsort((vocabulary, -scores[row]))
        keywords[topic] = [str(vocabulary[i]) for i in order[:top] if scores[row, i] > 0]
    return keywords


def label_of(keywords: Sequence[str], words: int = 4) -> str:
    return ", ".join(keywords[:words]) or "(no words)"

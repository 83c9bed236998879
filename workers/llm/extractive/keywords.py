"""Keyword extraction with RAKE (Rapid Automatic Keyword Extraction).

Candidate phrases are runs of content words between stopwords and punctuation; a word
scores degree/frequency and a phrase the sum of its words, weighted up when it recurs.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from workers.llm.extractive.text import STOPWORDS, split_sentences, words

MAX_PHRASE_WORDS = 3
_BREAK = re.compile(r"[,;:()\[\]\"“”]|\s[-–—]\s")


@dataclass(frozen=True)
class Keyword:
    phrase: str
    score: float
    count: int


def _candidate_phrases(text: str) -> list[tuple[str, ...]]:
    phrases: list[tuple[str, ...]] = []
    for sentence in split_sentences(text):
        for chunk in _BREAK.split(sentence):
            current: list[str] = []
            for token in words(chunk) + [""]:
                lowered = token.lower()
                if not token or lowered in STOPWORDS or len(lowered) < 2 or lowered.isdigit():
                    if 0 < len(current) <= MAX_PHRASE_WORDS:
                        phrases.append(tuple(current))
                    current = []
                else:
                    current.append(lowered)
    return phrases


def extract_keywords(text: str, limit: int = 10) -> list[Keyword]:
    """The ``limit`` best keyword phrases of ``text``, best first."""
    phrases = _candidate_phrases(text)
    frequency: Counter[str] = Counter()
    degree: Counter[str] = Counter()
    for phrase in phrases:
        for word in phrase:
            frequency[word] += 1
            degree[word] += len(phrase)
    counts = Counter(phrases)
    keywords = []
    for phrase, count in counts.items():
        rake = sum(degree[w] / frequency[w] for w in phrase)
        keywords.append(Keyword(" ".join(phrase), round(rake * (1 + math.log(count)), 6), count))
    keywords.sort(key=lambda k: (-k.score, k.phrase))
    return keywords[:limit]

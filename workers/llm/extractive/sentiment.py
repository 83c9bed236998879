"""VADER sentiment, loaded once per process (its lexicon takes a moment to read)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's recommended thresholds on the compound score.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05

_lock = threading.Lock()
_analyzer: SentimentIntensityAnalyzer | None = None


@dataclass(frozen=True)
class Sentiment:
    compound: float
    positive: float
    neutral: float
    negative: float

    @property
    def label(self) -> str:
        if self.compound >= POSITIVE_THRESHOLD:
            return "positive"
        if self.compound <= NEGATIVE_THRESHOLD:
            return "negative"
        return "neutral"

    def to_dict(self) -> dict[str, float | str]:
        return {
            "label": self.label,
            "compound": self.compound,
            "positive": self.positive,
            "neutral": self.neutral,
            "negative": self.negative,
        }


def _get_analyzer() -> SentimentIntensityAnalyzer:
    global _analyzer
    with _lock:
        if _analyzer is None:
            _analyzer = SentimentIntensityAnalyzer()
        return _analyzer


@lru_cache(maxsize=4096)
def sentiment(text: str) -> Sentiment:
    """VADER polarity scores for ``text``."""
    scores = _get_analyzer().polarity_scores(text)
    return Sentiment(
        compound=scores["compound"],
        positive=scores["pos"],
        neutral=scores["neu"],
        negative=scores["neg"],
    )

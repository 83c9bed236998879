"""Evidence passages cut into sentences, each scored for relevance, polarity and intent.

The schema filler asks the pool for "the most negative relevant sentences" (risks,
threats, weaknesses), "the most positive" (opportunities, strengths), "advice-like"
(recommendations) or just "the most relevant" (findings), always in a deterministic order.
Polarity is VADER's compound score nudged by a small business-risk cue lexicon, because
VADER alone reads "regulatory scrutiny is increasing" as neutral.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from workers.llm.extractive.entities import Entity, extract_entities
from workers.llm.extractive.keywords import Keyword, extract_keywords
from workers.llm.extractive.sentiment import sentiment
from workers.llm.extractive.summarise import sentence_scores, top_sentence_indices
from workers.llm.extractive.text import split_sentences, words
from workers.llm.messages import Evidence

_RISK_CUES = (
    "risk", "threat", "declin", "loss", "lawsuit", "litigat", "regulat", "scrutin", "fine",
    "penalt", "shortag", "delay", "uncertain", "volatil", "competit", "debt", "downturn",
    "vulnerab", "breach", "fail", "weak", "drop", "fall", "cut", "layoff", "inflation",
    "tariff", "slow", "decreas", "concern", "warn", "pressure", "exposure", "disrupt",
    "recession", "churn", "shrink", "deficit", "default",
)  # fmt: skip
_OPPORTUNITY_CUES = (
    "opportun", "growth", "grow", "expan", "demand", "launch", "partner", "innovat",
    "improv", "gain", "record", "potential", "adopt", "accelerat", "momentum", "profit",
    "win", "strong", "lead", "advantag", "efficien", "surge", "boost",
)  # fmt: skip
_ADVICE = re.compile(
    r"\b(should|must|need to|needs to|recommend\w*|consider|ought to|advis\w*|propos\w*)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"\b(may|might|could|possibl\w*|potential\w*|uncertain\w*)\b", re.I)
_UNLIKELY = re.compile(r"\b(unlikely|remote|rare\w*|improbabl\w*)\b", re.I)
_CERTAIN = re.compile(r"\b(will|is|are|has|have|expected|likely|already|certain\w*)\b", re.I)
# Polarity = half the VADER compound score plus cue shifts; risk cues weigh more because
# VADER scores words like "growth" in "may slow growth" as positive.
VADER_WEIGHT = 0.5
OPPORTUNITY_CUE_WEIGHT = 0.2
RISK_CUE_WEIGHT = 0.3
RELEVANCE_WEIGHT = 0.3
POLARITY_THRESHOLD = 0.05


@dataclass(frozen=True)
class EvidenceSentence:
    evidence_id: str
    text: str
    order: int
    relevance: float
    polarity: float
    compound: float
    advice: bool
    likelihood: float

    @property
    def intensity(self) -> float:
        """How strongly the sentence leans either way, in [0, 1] (used for impact)."""
        return round(0.6 * min(1.0, abs(self.polarity)) + 0.4 * abs(self.compound), 3)


def _cue_hits(text: str, cues: tuple[str, ...]) -> int:
    return sum(1 for w in words(text.lower()) if w.startswith(cues))


def _polarity(text: str) -> float:
    shift = OPPORTUNITY_CUE_WEIGHT * _cue_hits(text, _OPPORTUNITY_CUES)
    shift -= RISK_CUE_WEIGHT * _cue_hits(text, _RISK_CUES)
    return round(max(-1.0, min(1.0, VADER_WEIGHT * sentiment(text).compound + shift)), 4)


def _likelihood(text: str) -> float:
    if _UNLIKELY.search(text):
        return 0.25
    if _HEDGE.search(text):
        return 0.5
    return 0.75 if _CERTAIN.search(text) else 0.5


class EvidencePool:
    """Sentences of the evidence, ranked against a focus text (the caller's question)."""

    def __init__(self, evidence: tuple[Evidence, ...], focus: str = "") -> None:
        self.evidence = evidence
        self.focus = focus
        pieces: list[tuple[str, str]] = []
        leading: set[int] = set()
        for passage in evidence:
            leading.add(len(pieces))
            pieces += [(passage.id, s) for s in split_sentences(passage.text)]
        scores = sentence_scores([text for _, text in pieces], focus, leading)
        self.sentences = tuple(
            EvidenceSentence(
                evidence_id=passage_id,
                text=text,
                order=index,
                relevance=scores[index],
                polarity=_polarity(text),
                compound=sentiment(text).compound,
                advice=bool(_ADVICE.search(text)),
                likelihood=_likelihood(text),
            )
            for index, (passage_id, text) in enumerate(pieces)
        )

    @cached_property
    def full_text(self) -> str:
        return "\n\n".join(passage.text for passage in self.evidence)

    def most_relevant(self) -> list[EvidenceSentence]:
        return sorted(self.sentences, key=lambda s: (-s.relevance, s.order))

    def negative(self) -> list[EvidenceSentence]:
        found = [s for s in self.sentences if s.polarity < -POLARITY_THRESHOLD]
        return sorted(found, key=lambda s: (s.polarity - RELEVANCE_WEIGHT * s.relevance, s.order))

    def positive(self) -> list[EvidenceSentence]:
        found = [s for s in self.sentences if s.polarity > POLARITY_THRESHOLD]
        return sorted(
            found, key=lambda s: (-(s.polarity + RELEVANCE_WEIGHT * s.relevance), s.order)
        )

    def advice(self) -> list[EvidenceSentence]:
        return [s for s in self.most_relevant() if s.advice]

    def summary_sentences(self, max_sentences: int = 3) -> list[EvidenceSentence]:
        """The most relevant sentences, in document order."""
        scores = [s.relevance for s in self.sentences]
        return [self.sentences[i] for i in top_sentence_indices(scores, max_sentences)]

    def summary(self, max_sentences: int = 3) -> str:
        return " ".join(s.text for s in self.summary_sentences(max_sentences))

    @cached_property
    def keywords(self) -> list[Keyword]:
        return extract_keywords(self.full_text, limit=20)

    @cached_property
    def entities(self) -> list[Entity]:
        return extract_entities(self.full_text, limit=20)

    def overall_polarity(self) -> float:
        if not self.sentences:
            return 0.0
        return sum(s.polarity for s in self.sentences) / len(self.sentences)

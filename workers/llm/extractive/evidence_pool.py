"""Evidence passages cut into sentences, each scored for relevance, polarity and intent.

The schema filler asks the pool for "the most negative relevant sentences" (risks),
"the most positive" (opportunities, benefits), one SWOT quadrant (internal or external,
good or bad: see :mod:`.swot`), "advice-like" (recommendations) or just "the most relevant"
(findings), always in a deterministic order. Polarity is judged for the organisation the
question names (:mod:`.polarity`, :mod:`.subject`), because VADER alone reads "regulatory
scrutiny is increasing" as neutral and "a competitor is winning our customers" as good.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from workers.llm.extractive.entities import Entity, extract_entities
from workers.llm.extractive.keywords import Keyword, extract_keywords
from workers.llm.extractive.polarity import polarity
from workers.llm.extractive.sentiment import sentiment
from workers.llm.extractive.subject import Actors, find_actors, subject_of
from workers.llm.extractive.summarise import sentence_scores, top_sentence_indices
from workers.llm.extractive.swot import URGENCY, Quadrant, interleave, quadrant_of
from workers.llm.extractive.text import split_sentences
from workers.llm.messages import Evidence

_ADVICE = re.compile(
    r"\b(should|must|need to|needs to|recommend\w*|consider|ought to|advise|advises|propose|"
    r"proposes)\b",
    re.IGNORECASE,
)
_HEDGE = re.compile(r"\b(may|might|could|possibl\w*|potential\w*|uncertain\w*)\b", re.I)
_UNLIKELY = re.compile(r"\b(unlikely|remote|rare\w*|improbabl\w*)\b", re.I)
_CERTAIN = re.compile(r"\b(will|is|are|has|have|expected|likely|already|certain\w*)\b", re.I)
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
    internal: bool = False
    quadrant: Quadrant | None = None

    @property
    def intensity(self) -> float:
        """How strongly the sentence leans either way, in [0, 1] (used for impact)."""
        return round(0.6 * min(1.0, abs(self.polarity)) + 0.4 * abs(self.compound), 3)


def _likelihood(text: str) -> float:
    if _UNLIKELY.search(text):
        return 0.25
    if _HEDGE.search(text):
        return 0.5
    return 0.75 if _CERTAIN.search(text) else 0.5


def _sentence(passage_id: str, text: str, order: int, relevance: float, actors: Actors
              ) -> EvidenceSentence:  # fmt: skip
    subject = subject_of(text, actors)
    score = polarity(text, rival=subject.rival)
    advice = bool(_ADVICE.search(text))
    return EvidenceSentence(
        evidence_id=passage_id,
        text=text,
        order=order,
        relevance=relevance,
        polarity=score,
        compound=sentiment(text).compound,
        advice=advice,
        likelihood=_likelihood(text),
        internal=subject.internal,
        quadrant=None if advice else quadrant_of(subject.internal, score, POLARITY_THRESHOLD),
    )


def _each_text_once(sentences: list[EvidenceSentence]) -> list[EvidenceSentence]:
    """Drops repeats of a text (the same sentence in two passages), keeping the first."""
    kept: dict[str, EvidenceSentence] = {}
    for sentence in sentences:
        kept.setdefault(sentence.text, sentence)
    return list(kept.values())


class EvidencePool:
    """Sentences of the evidence, ranked against a focus text (the caller's question).

    ``question`` names the organisation under analysis (see :func:`.subject.find_actors`);
    it defaults to ``focus``.
    """

    def __init__(
        self, evidence: tuple[Evidence, ...], focus: str = "", question: str | None = None
    ) -> None:
        self.evidence = evidence
        self.focus = focus
        pieces: list[tuple[str, str]] = []
        leading: set[int] = set()
        for passage in evidence:
            leading.add(len(pieces))
            pieces += [(passage.id, s) for s in split_sentences(passage.text)]
        scores = sentence_scores([text for _, text in pieces], focus, leading)
        actors = find_actors(focus if question is None else question, self.entities)
        self.sentences = tuple(
            _sentence(passage_id, text, index, scores[index], actors)
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

    def quadrant(self, quadrant: Quadrant) -> list[EvidenceSentence]:
        """The quadrant's sentences, strongest and most relevant first, each text once."""
        found = [s for s in self.sentences if s.quadrant is quadrant]
        ranked = sorted(
            found, key=lambda s: (-(abs(s.polarity) + RELEVANCE_WEIGHT * s.relevance), s.order)
        )
        return _each_text_once(ranked)

    def actionable(self) -> list[EvidenceSentence]:
        """What recommendations are about: the evidence's own advice, then one finding of
        each quadrant in turn (threats first)."""
        return self.advice() + interleave([self.quadrant(q) for q in URGENCY])

    @cached_property
    def names(self) -> frozenset[str]:
        """Every word of every entity, so rewording keeps their capitals."""
        return frozenset(word for entity in self.entities for word in entity.text.split())

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

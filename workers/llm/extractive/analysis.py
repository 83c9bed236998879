"""One call for the whole local text analysis, for agents that want it as a tool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workers.llm.extractive.entities import Entity, extract_entities
from workers.llm.extractive.keywords import Keyword, extract_keywords
from workers.llm.extractive.schema_filler import METHOD
from workers.llm.extractive.sentiment import Sentiment, sentiment
from workers.llm.extractive.summarise import summarise


@dataclass(frozen=True)
class TextAnalysis:
    summary: str
    keywords: list[Keyword]
    entities: list[Entity]
    sentiment: Sentiment

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": METHOD,
            "summary": self.summary,
            "keywords": [k.phrase for k in self.keywords],
            "entities": [
                {"text": e.text, "label": e.label, "count": e.count} for e in self.entities
            ],
            "sentiment": self.sentiment.to_dict(),
        }


def analyse_text(text: str, focus: str = "", max_sentences: int = 3) -> TextAnalysis:
    """Extractive summary, keywords, entities and VADER sentiment of ``text``."""
    return TextAnalysis(
        summary=summarise(text, max_sentences=max_sentences, focus=focus),
        keywords=extract_keywords(text),
        entities=extract_entities(text),
        sentiment=sentiment(text),
    )

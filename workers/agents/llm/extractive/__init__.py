"""Deterministic, offline text analysis: the local backend's engine, also usable directly."""

from .analysis import TextAnalysis, analyse_text
from .entities import Entity, extract_entities
from .evidence_pool import EvidencePool, EvidenceSentence
from .keywords import Keyword, extract_keywords
from .schema_filler import METHOD, fill_schema
from .sentiment import Sentiment, sentiment
from .summarise import summarise

__all__ = [
    "METHOD",
    "Entity",
    "EvidencePool",
    "EvidenceSentence",
    "Keyword",
    "Sentiment",
    "TextAnalysis",
    "analyse_text",
    "extract_entities",
    "extract_keywords",
    "fill_schema",
    "sentiment",
    "summarise",
]

"""Deterministic, offline text analysis: the local backend's engine, also usable directly."""

from workers.llm.extractive.analysis import TextAnalysis, analyse_text
from workers.llm.extractive.entities import Entity, extract_entities
from workers.llm.extractive.evidence_pool import EvidencePool, EvidenceSentence
from workers.llm.extractive.keywords import Keyword, extract_keywords
from workers.llm.extractive.schema_filler import METHOD, fill_schema
from workers.llm.extractive.sentiment import Sentiment, sentiment
from workers.llm.extractive.summarise import summarise

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

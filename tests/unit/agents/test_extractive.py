"""The heuristics behind the local backend: summaries, keywords, entities, sentiment."""

from __future__ import annotations

from workers.llm.extractive import (
    analyse_text,
    extract_entities,
    extract_keywords,
    sentiment,
    summarise,
)
from workers.llm.extractive.text import split_sentences

TEXT = (
    "Acme Corp reported record revenue in Q3, driven by strong demand in Europe. "
    "However, the Bank of England warned that rising interest rates may slow growth. "
    "Acme Corp's CEO Jane Smith said the company will expand into Asia next year. "
    "Dr. Brown of MIT expects AI adoption to accelerate. Revenue grew 12% year over year."
)


def test_sentences_split_without_breaking_abbreviations() -> None:
    sentences = split_sentences(TEXT)
    assert len(sentences) == 5
    assert sentences[3] == "Dr. Brown of MIT expects AI adoption to accelerate."


def test_summary_picks_whole_sentences_in_document_order() -> None:
    summary = summarise(TEXT, max_sentences=2)
    chosen = split_sentences(summary)

    assert len(chosen) == 2
    positions = [split_sentences(TEXT).index(s) for s in chosen]
    assert positions == sorted(positions)


def test_summary_leans_towards_the_focus() -> None:
    assert "interest rates" in summarise(TEXT, max_sentences=1, focus="interest rates outlook")


def test_keywords_prefer_multiword_phrases() -> None:
    phrases = [k.phrase for k in extract_keywords(TEXT, limit=5)]
    assert phrases[0] == "rising interest rates"
    assert "record revenue" in [k.phrase for k in extract_keywords(TEXT)]


def test_entities_from_capitalised_spans() -> None:
    entities = {e.text: e for e in extract_entities(TEXT)}

    assert entities["Acme Corp"].label == "ORG" and entities["Acme Corp"].count == 2
    assert entities["Bank of England"].label == "ORG"
    assert entities["Jane Smith"].label == "PERSON"
    assert entities["Brown"].label == "PERSON"
    assert entities["MIT"].label == "ACRONYM"
    assert "However" not in entities and "Revenue" not in entities


def test_vader_sentiment_labels() -> None:
    assert sentiment("This is a great and wonderful result.").label == "positive"
    assert sentiment("A terrible, painful loss.").label == "negative"
    assert sentiment("The meeting is on Tuesday.").label == "neutral"


def test_analyse_text_bundles_everything_and_says_how() -> None:
    analysis = analyse_text(TEXT).to_dict()

    assert analysis["method"] == "extractive"
    assert analysis["summary"] and analysis["keywords"] and analysis["entities"]
    assert analysis["sentiment"]["label"] in {"positive", "neutral", "negative"}
    assert analyse_text(TEXT).to_dict() == analysis

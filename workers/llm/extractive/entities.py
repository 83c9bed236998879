"""Named-entity candidates from capitalisation, without a model.

A span is a run of capitalised words (or acronyms) that may contain lower-case connectors
such as "of" ("Bank of England"). A lone capitalised word at the start of a sentence is kept
only if the same word also appears capitalised mid-sentence, since sentence case alone says
nothing. Labels are coarse: ``ORG`` (an organisation word such as "Inc" or "Bank"),
``PERSON`` (after a title such as "Dr" or "CEO"), ``ACRONYM`` or ``NAME``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from workers.llm.extractive.text import STOPWORDS, split_sentences

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9&'\-.]*[A-Za-z0-9]|[A-Za-z]|[^\sA-Za-z]+")
_CONNECTORS = {"of", "and", "&", "de", "la", "du", "van", "von", "der", "for", "the"}
_ORG_SUFFIXES = {
    "inc", "inc.", "ltd", "ltd.", "corp", "corp.", "corporation", "co", "co.", "llc", "plc",
    "ag", "gmbh", "sa", "group", "holdings", "bank", "company", "university", "institute",
    "agency", "commission", "ministry", "association", "foundation", "partners",
    "technologies", "systems", "labs", "capital", "fund", "council", "authority",
}  # fmt: skip
_TITLES = {"mr", "mrs", "ms", "dr", "prof", "sir", "ceo", "cfo", "cto", "coo", "president"}
_NOT_ENTITIES = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "i",
}  # fmt: skip


@dataclass(frozen=True)
class Entity:
    text: str
    label: str
    count: int


def _is_capitalised(token: str) -> bool:
    return token[:1].isupper() and any(c.isalpha() for c in token)


def _label(span: list[str], titled: bool) -> str:
    if any(token.lower() in _ORG_SUFFIXES for token in span):
        return "ORG"
    if titled:
        return "PERSON"
    if len(span) == 1 and span[0].isupper() and len(span[0]) > 1:
        return "ACRONYM"
    return "NAME"


def _spans(sentence: str) -> list[tuple[list[str], bool]]:
    """Capitalised spans of one sentence, each with whether it starts the sentence."""
    tokens = _TOKEN.findall(re.sub(r"\b(Mr|Mrs|Ms|Dr|Prof|St)\.", r"\1", sentence))
    spans: list[tuple[list[str], bool]] = []
    i = 0
    while i < len(tokens):
        if not _is_capitalised(tokens[i]):
            i += 1
            continue
        start, span = i, [tokens[i]]
        i += 1
        while i < len(tokens) and not span[-1].endswith("'s"):
            if _is_capitalised(tokens[i]):
                span.append(tokens[i])
                i += 1
            elif (
                tokens[i].lower() in _CONNECTORS
                and i + 1 < len(tokens)
                and _is_capitalised(tokens[i + 1])
                and not tokens[i + 1].isupper()
            ):
                span += [tokens[i], tokens[i + 1]]
                i += 2
            else:
                break
        spans.append((span, start == 0))
    return spans


def extract_entities(text: str, limit: int = 20) -> list[Entity]:
    """Entity candidates of ``text``, most frequent first (ties: first seen first)."""
    found: list[tuple[list[str], bool]] = []
    for sentence in split_sentences(text):
        found += _spans(sentence)
    seen_mid_sentence = {span[0] for span, at_start in found if not at_start}
    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for span, at_start in found:
        span = [token.removesuffix("'s").rstrip(".") for token in span]
        if at_start and span[0].lower() in STOPWORDS:
            span = span[1:]
        titled = bool(span) and span[0].lower() in _TITLES and len(span) > 1
        if titled:
            span = span[1:]
        while span and span[0].lower() in _CONNECTORS:
            span = span[1:]
        lone_sentence_opener = (
            at_start and not titled and len(span) == 1 and span[0] not in seen_mid_sentence
        )
        if not span or lone_sentence_opener or span[0].lower() in _NOT_ENTITIES | STOPWORDS:
            continue
        name = " ".join(span)
        counts[name] += 1
        labels.setdefault(name, _label(span, titled))
    order = {name: index for index, name in enumerate(labels)}
    ranked = sorted(counts, key=lambda name: (-counts[name], order[name]))
    return [Entity(name, labels[name], counts[name]) for name in ranked[:limit]]

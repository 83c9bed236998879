"""Sentence splitting and word tokenising shared by the extractive analysers."""

from __future__ import annotations

import re

# Common abbreviations that end in a period but do not end a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "inc", "ltd", "corp", "co", "vs", "etc", "e.g", "i.e",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "no", "st", "u.s", "u.k", "approx", "est", "fig",
}  # fmt: skip

STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves may might must shall per via upon within without across among around however
    therefore thus yet still already since although though whether either neither one two
    new said says say according year years week weeks month months today s t next last
    told warned reported expects expected including driven well much many like make made
    first second get got also often really
    """.split()
)

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'&\-]*[A-Za-z0-9]|[A-Za-z]")


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` in order; newline-separated lines count as separate sentences."""
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*[-*•\d])", text):
        block = " ".join(block.split())
        if not block:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(block):
            candidate = block[start : match.start()].strip()
            last_word = candidate.rsplit(" ", 1)[-1].rstrip(".").lower()
            if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
                continue
            if candidate:
                sentences.append(candidate)
            start = match.end()
        tail = block[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def words(text: str) -> list[str]:
    """Word tokens with their original casing."""
    return _WORD.findall(text)


def content_words(text: str) -> list[str]:
    """Lower-cased words that carry meaning (no stopwords, no one-letter tokens)."""
    return [w for w in (t.lower() for t in words(text)) if len(w) > 1 and w not in STOPWORDS]


def stem(word: str) -> str:
    """A very light suffix stripper so that 'risks'/'risk' and 'growing'/'grow' match."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word

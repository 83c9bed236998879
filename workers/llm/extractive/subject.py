"""Whom a sentence is about: the organisation itself, the world around it, or a rival.

Without a parser, the subject is taken to be the first word that names an actor: "we",
"our", the organisation's name, its staff, products and figures are internal; markets,
customers, regulators, the economy, suppliers and other named organisations are external;
competitors are external rivals. English puts the subject first, so "a competitor is
winning our customers" is about the competitor and "demand for our products is growing"
about demand. What the organisation owns may be another actor: "our main competitor",
"Acme's customers". And when the outside world judges the organisation ("customers praise
our platform"), the sentence is about the organisation. A sentence naming no actor is taken
to describe the outside world.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from workers.llm.extractive import lexicon
from workers.llm.extractive.entities import Entity
from workers.llm.extractive.text import words

POSSESSED_WINDOW = 3  # words after "our" that may name what it owns


@dataclass(frozen=True)
class Actors:
    """Names (lower-case first words) of the organisation and of other organisations."""

    own: frozenset[str] = frozenset()
    others: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Subject:
    internal: bool
    rival: bool = False


def find_actors(question: str, entities: Iterable[Entity]) -> Actors:
    """The organisation is the named entity of the evidence the question mentions most."""
    asked = {w.lower() for w in words(question)}
    mentions: Counter[str] = Counter()
    organisations: set[str] = set()
    for entity in entities:
        if entity.label == "PERSON":
            continue
        first = entity.text.split()[0].lower()
        mentions[first] += entity.count
        if entity.label == "ORG":
            organisations.add(first)
    asked_names = [name for name, _ in mentions.most_common() if name in asked]
    own = frozenset(asked_names[:1])
    return Actors(own=own, others=frozenset(organisations - own))


def _side(word: str, actors: Actors) -> Subject | None:
    if word in actors.own or word in lexicon.INTERNAL:
        return Subject(internal=True)
    if word in lexicon.RIVALS:
        return Subject(internal=False, rival=True)
    if word in actors.others or word in lexicon.EXTERNAL:
        return Subject(internal=False)
    return None


def _possessed(words: list[str], at: int) -> Subject | None:
    """The outside actor an internal possessive at ``at`` owns, if any ("our customers";
    not "our customer retention", where "customer" only qualifies a figure)."""
    for index in range(at + 1, min(len(words), at + 1 + POSSESSED_WINDOW)):
        word, following = words[index], words[index + 1] if index + 1 < len(words) else ""
        if word in lexicon.INTERNAL:
            return None
        if word in lexicon.RIVALS:
            return Subject(internal=False, rival=True)
        if word in lexicon.EXTERNAL and following not in lexicon.QUANTITY_VALENCE:
            return Subject(internal=False)
    return None


@lru_cache(maxsize=4096)  # every agent of a job reads the same evidence
def subject_of(text: str, actors: Actors = Actors()) -> Subject:
    """The actor ``text`` is about (see the module docstring)."""
    marked = lexicon.marked_tokens(text)
    words = [word for word, _ in marked]
    sides: list[Subject] = []
    for at, (word, possessive) in enumerate(marked):
        side = _side(word, actors)
        if side is not None and side.internal and possessive:
            side = _possessed(words, at) or side
        if side is not None:
            sides.append(side)
    if not sides:
        return Subject(internal=False)
    first = sides[0]
    judged = any(lexicon.matches(w, lexicon.JUDGING) for w in words)
    if not first.internal and not first.rival and judged and any(s.internal for s in sides):
        return Subject(internal=True)
    return first

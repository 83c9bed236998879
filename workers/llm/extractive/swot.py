"""SWOT quadrants: internal or external, good or bad for the organisation.

A sentence falls in at most one quadrant, decided by its subject (:mod:`.subject`) and its
polarity (:mod:`.polarity`); advice and neutral sentences fall in none. What to do about a
finding follows from its quadrant: build on a strength, fix a weakness, pursue an
opportunity, defend against a threat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import TypeVar

T = TypeVar("T")


class Quadrant(Enum):
    STRENGTH = "strength"
    WEAKNESS = "weakness"
    OPPORTUNITY = "opportunity"
    THREAT = "threat"

    @property
    def action(self) -> str:
        return _ACTIONS[self]


_ACTIONS = {
    Quadrant.STRENGTH: "Build on the strength that",
    Quadrant.WEAKNESS: "Fix the weakness that",
    Quadrant.OPPORTUNITY: "Pursue the opportunity that",
    Quadrant.THREAT: "Defend against the threat that",
}
# The order recommendations take them in: dangers first, then what to pursue.
URGENCY = (Quadrant.THREAT, Quadrant.WEAKNESS, Quadrant.OPPORTUNITY, Quadrant.STRENGTH)
UNCLASSIFIED_ACTION = "Look into the finding that"
_DISCOURSE = re.compile(
    r"^(however|moreover|meanwhile|furthermore|in addition|additionally|also|but|and|still|"
    r"yet|overall|finally|indeed|in fact|as a result)\b,?\s*",
    re.IGNORECASE,
)


def quadrant_of(internal: bool, polarity: float, threshold: float) -> Quadrant | None:
    if abs(polarity) <= threshold:
        return None
    if internal:
        return Quadrant.STRENGTH if polarity > 0 else Quadrant.WEAKNESS
    return Quadrant.OPPORTUNITY if polarity > 0 else Quadrant.THREAT


def _is_name(word: str, names: set[str]) -> bool:
    """Names, acronyms, abbreviations ("Dr.") and codes ("Q3") keep their capital."""
    bare = word.removesuffix("'s").rstrip(".,")
    return (bare in names or word.endswith(".") or (len(word) > 1 and word.isupper())
            or any(c.isdigit() or c.isupper() for c in word[1:]))  # fmt: skip


def as_clause(sentence: str, names: Iterable[str] = ()) -> str:
    """``sentence`` shaped to follow "… that": no opening connective, no final stop, and a
    lower-case first word unless it is a name."""
    text = _DISCOURSE.sub("", sentence.strip()).rstrip(" .!?;:")
    if not text or _is_name(text.split(" ", 1)[0], set(names)):
        return text
    return text[0].lower() + text[1:]


def action_for(sentence: str, quadrant: Quadrant | None, names: Iterable[str] = ()) -> str:
    """What to do about a finding: "Fix the weakness that our support backlog doubled."."""
    lead = quadrant.action if quadrant else UNCLASSIFIED_ACTION
    return f"{lead} {as_clause(sentence, names)}."


def interleave(groups: Sequence[Sequence[T]]) -> list[T]:
    """First items of every group, then the second ones, and so on."""
    longest = max((len(g) for g in groups), default=0)
    return [g[i] for i in range(longest) for g in groups if i < len(g)]

"""How good or bad a sentence is for the organisation, in [-1, 1].

Three signals add up. A valued quantity next to a movement word scores their product
("costs fell" is good, "backlog doubled" bad, "cuts production costs" good); business cue
words score on their own ("lawsuit", "breakthrough"); VADER scores the rest, with every word
already scored here removed, so "support" in "support backlog" or "interest" in "interest
rates" count for nothing. When a rival is the subject the sign turns: a competitor winning
customers is bad news, a competitor losing them good news.
"""

from __future__ import annotations

from functools import lru_cache

from workers.llm.extractive import lexicon
from workers.llm.extractive.sentiment import sentiment

VADER_WEIGHT = 0.5
MOVE_WEIGHT = 0.4  # a valued quantity moving one way or the other
GAIN_WEIGHT = 0.2
LOSS_WEIGHT = 0.3  # losses weigh more: "may slow growth" still contains "growth"
LONE_MOVE_WEIGHT = 0.1  # "is growing" with no quantity named
RIVAL_BIAS = 0.1  # whatever a rival does is some pressure
PAIR_WINDOW = 3  # words between a movement word and its quantity, at most
NEGATION_WINDOW = 3  # a negator this many words before a scored word turns it around


def _direction(word: str) -> int:
    if lexicon.matches(word, lexicon.UP):
        return 1
    return -1 if lexicon.matches(word, lexicon.DOWN) else 0


def _sign(words: list[str], at: int, used: set[int]) -> int:
    """-1 when a negator shortly precedes ``words[at]`` (the negator is then used up)."""
    for index in range(max(0, at - NEGATION_WINDOW), at):
        if words[index] in lexicon.NEGATORS or words[index].endswith("n't"):
            used.add(index)
            return -1
    return 1


def _is_quantity(words: list[str], at: int) -> bool:
    """A quantity word not used as a modifier: not "sales" in "sales team", nor
    "production" in "production costs" (the last noun is the quantity)."""
    following = words[at + 1] if at + 1 < len(words) else ""
    modifier = following in lexicon.MODIFIED or following in lexicon.QUANTITY_VALENCE
    return words[at] in lexicon.QUANTITY_VALENCE and not modifier


def _valence(words: list[str], at: int, used: set[int]) -> int:
    """+1/-1/0 for the quantity at ``at``; a two-sided one ("rate", "level") takes the sign
    of the word before it: "error rate" is bad, "conversion rate" good."""
    valence = lexicon.QUANTITY_VALENCE[words[at]]
    if valence or at == 0:
        return valence
    before = words[at - 1]
    if before in lexicon.QUANTITY_VALENCE:
        valence = lexicon.QUANTITY_VALENCE[before]
    elif lexicon.matches(before, lexicon.LOSS):
        valence = -1
    if valence:
        used.add(at - 1)
    return valence


def _quantity_moved(words: list[str], at: int) -> int | None:
    """Index of the quantity ``words[at]`` moves: the closest one (after it on a tie) if
    near enough, else the sentence's first one before it ("demand for batteries in Asia
    is growing"), else None."""
    for distance in range(1, PAIR_WINDOW + 2):
        for index in (at + distance, at - distance):
            if 0 <= index < len(words) and _is_quantity(words, index):
                return index
    return next((index for index in range(at) if _is_quantity(words, index)), None)


def _movement_score(words: list[str], used: set[int]) -> float:
    """Movements of valued quantities; marks the words it scored in ``used``."""
    score = 0.0
    for at, word in enumerate(words):
        if word in lexicon.QUANTITY_VALENCE or not (direction := _direction(word)):
            continue
        direction *= _sign(words, at, used)
        used.add(at)
        target = _quantity_moved(words, at)
        if target is None:
            score += LONE_MOVE_WEIGHT * direction
        else:
            used.add(target)
            score += MOVE_WEIGHT * direction * _valence(words, target, used)
    return score


def _cue_score(words: list[str], used: set[int]) -> float:
    """Gain and loss words, and bad quantities named without a movement."""
    score = 0.0
    for at, word in enumerate(words):
        if at in used:
            continue
        if lexicon.QUANTITY_VALENCE.get(word, 0) < 0 or lexicon.matches(word, lexicon.LOSS):
            score -= LOSS_WEIGHT * _sign(words, at, used)
        elif word in lexicon.QUANTITY_VALENCE:
            pass  # a good quantity without a movement says nothing
        elif lexicon.matches(word, lexicon.GAIN):
            score += GAIN_WEIGHT * _sign(words, at, used)
        else:
            continue
        used.add(at)
    return score


def _vader(words: list[str], used: set[int]) -> float:
    rest = [w for at, w in enumerate(words) if at not in used and w not in lexicon.VADER_MISREADS]
    return sentiment(" ".join(rest)).compound if rest else 0.0


@lru_cache(maxsize=4096)  # every agent of a job reads the same evidence
def polarity(text: str, rival: bool = False) -> float:
    """Polarity of ``text`` for the organisation; ``rival``: a competitor is the subject."""
    words = lexicon.tokens(text)
    used: set[int] = set()
    score = _movement_score(words, used) + _cue_score(words, used)
    score += VADER_WEIGHT * _vader(words, used)
    if rival:
        setback = any(lexicon.matches(w, lexicon.RIVAL_SETBACKS) for w in words)
        score = abs(score) + RIVAL_BIAS if setback else -abs(score) - RIVAL_BIAS
    return round(max(-1.0, min(1.0, score)), 4)

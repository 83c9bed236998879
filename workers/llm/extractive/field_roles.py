"""What a schema property is for, judged from its name (and description).

The extractive filler cannot understand a schema, but report schemas use telling names:
``risks``, ``opportunities``, ``evidence_ids``, ``confidence``, ``likelihood``... Each
name maps to one role; the first matching rule wins, so more specific rules come first.
Next to each other, SWOT names mean their quadrant (:func:`roles_of`): beside
``strengths``, ``opportunities`` are the external upsides only, not every upside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum


class FieldRole(Enum):
    METHOD = "method"
    EVIDENCE_IDS = "evidence_ids"
    CONFIDENCE = "confidence"
    LIKELIHOOD = "likelihood"
    IMPACT = "impact"
    SUMMARY = "summary"
    CITATIONS = "citations"
    KEYWORDS = "keywords"
    ENTITIES = "entities"
    SENTIMENT = "sentiment"
    NEGATIVE = "negative"
    POSITIVE = "positive"
    ADVICE = "advice"
    FINDINGS = "findings"
    TITLE = "title"
    LABEL = "label"
    COUNT = "count"
    SOURCE = "source"
    TEXT = "text"
    STRENGTHS = "strengths"
    WEAKNESSES = "weaknesses"
    OPPORTUNITIES = "opportunities"
    THREATS = "threats"


_QUADRANT_NAMES: dict[FieldRole, frozenset[str]] = {
    FieldRole.STRENGTHS: frozenset({"strength", "strengths"}),
    FieldRole.WEAKNESSES: frozenset({"weakness", "weaknesses"}),
    FieldRole.OPPORTUNITIES: frozenset({"opportunity", "opportunities"}),
    FieldRole.THREATS: frozenset({"threat", "threats"}),
}
_INTERNAL = (FieldRole.STRENGTHS, FieldRole.WEAKNESSES)
_EXTERNAL = (FieldRole.OPPORTUNITIES, FieldRole.THREATS)


_RULES: tuple[tuple[FieldRole, frozenset[str]], ...] = (
    (FieldRole.METHOD, frozenset({"method", "methodology", "generation", "generator"})),
    (FieldRole.EVIDENCE_IDS, frozenset({"ids", "id"})),
    (FieldRole.CONFIDENCE, frozenset({"confidence", "certainty"})),
    (FieldRole.LIKELIHOOD, frozenset({"likelihood", "probability", "chance"})),
    (FieldRole.IMPACT, frozenset({"impact", "severity", "magnitude", "priority", "urgency"})),
    (FieldRole.SUMMARY, frozenset({"summary", "overview", "abstract", "synopsis"})),
    (FieldRole.CITATIONS, frozenset({"citation", "citations", "sources", "references"})),
    (FieldRole.KEYWORDS, frozenset({"keywords", "keyword", "topics", "themes", "tags", "terms"})),
    (
        FieldRole.ENTITIES,
        frozenset({"entities", "actors", "organizations", "organisations", "stakeholders"}),
    ),
    (FieldRole.SENTIMENT, frozenset({"sentiment", "tone", "polarity"})),
    (
        FieldRole.NEGATIVE,
        frozenset(
            {
                "risk",
                "risks",
                "threat",
                "threats",
                "weakness",
                "weaknesses",
                "concern",
                "concerns",
                "issues",
                "challenges",
                "downsides",
                "negatives",
                "cons",
            }
        ),
    ),
    (
        FieldRole.POSITIVE,
        frozenset(
            {
                "opportunity",
                "opportunities",
                "strength",
                "strengths",
                "benefits",
                "advantages",
                "upsides",
                "positives",
                "pros",
            }
        ),
    ),
    (
        FieldRole.ADVICE,
        frozenset(
            {
                "recommendation",
                "recommendations",
                "actions",
                "action",
                "steps",
                "mitigation",
                "mitigations",
                "suggestions",
                "advice",
            }
        ),
    ),
    (
        FieldRole.FINDINGS,
        frozenset({"findings", "claims", "points", "insights", "observations", "highlights"}),
    ),
    (FieldRole.TITLE, frozenset({"title", "name", "headline", "heading"})),
    (FieldRole.LABEL, frozenset({"label", "type", "kind", "category"})),
    (FieldRole.COUNT, frozenset({"count", "total", "number", "mentions"})),
    (FieldRole.SOURCE, frozenset({"source", "url", "origin"})),
)


def name_words(name: str) -> list[str]:
    """``evidenceIds`` / ``evidence_ids`` / ``Evidence IDs`` -> ``["evidence", "ids"]``."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def role_of(name: str) -> FieldRole:
    words = set(name_words(name))
    for role, keys in _RULES:
        if words & keys:
            return role
    return FieldRole.TEXT


def _quadrant_role(name: str) -> FieldRole | None:
    words = set(name_words(name))
    return next((role for role, keys in _QUADRANT_NAMES.items() if words & keys), None)


def roles_of(names: Iterable[str]) -> dict[str, FieldRole]:
    """Roles of sibling properties: SWOT names get their quadrant when both an internal
    (strengths, weaknesses) and an external one (opportunities, threats) are present."""
    names = list(names)
    roles = {name: role_of(name) for name in names}
    quadrants = {name: q for name in names if (q := _quadrant_role(name)) is not None}
    sides = set(quadrants.values())
    if sides & set(_INTERNAL) and sides & set(_EXTERNAL):
        roles.update(quadrants)
    return roles

"""Fills any JSON schema from evidence passages, so the local backend can stand in for an LLM.

It walks the schema (resolving local ``$ref``s, picking the first non-null ``anyOf`` branch)
and gives each property a value according to its type and its role (see
:mod:`.field_roles`): arrays of risks get the most negative sentences, opportunities the most
positive, findings the most relevant, SWOT quadrants their own sentences (none in two), and
recommendations say what to do about one finding each; nested ``claim``/``evidence_ids``
fields are filled from the sentence that item was built from, so every claim cites the
passage it came from.
Numbers and enums for confidence, likelihood and impact come from simple, documented
heuristics. A top-level ``method`` is set to ``"extractive"``: nothing here is generated.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from workers.llm.extractive.evidence_pool import EvidencePool, EvidenceSentence
from workers.llm.extractive.field_roles import FieldRole, role_of, roles_of
from workers.llm.extractive.sentiment import POSITIVE_THRESHOLD
from workers.llm.extractive.swot import Quadrant, action_for

METHOD = "extractive"
DEFAULT_MAX_ITEMS = 5
SUMMARY_SENTENCES = 3
TITLE_WORDS = 8
# Extractive output is never very confident: confidence grows with how much of the
# evidence was cited, from 0.2 up to a ceiling of 0.5.
CONFIDENCE_FLOOR = 0.2
CONFIDENCE_SPAN = 0.3
NO_EVIDENCE_TEXT = "No evidence was supplied."
_QUADRANTS = {
    FieldRole.STRENGTHS: Quadrant.STRENGTH,
    FieldRole.WEAKNESSES: Quadrant.WEAKNESS,
    FieldRole.OPPORTUNITIES: Quadrant.OPPORTUNITY,
    FieldRole.THREATS: Quadrant.THREAT,
}

_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}
_LADDER = {
    word: rank
    for rank, group in enumerate(
        [
            ("none", "negligible", "very low", "very_low", "rare", "minimal"),
            ("low", "minor", "unlikely"),
            ("medium", "moderate", "possible", "mixed", "neutral"),
            ("high", "major", "likely", "significant"),
            ("very high", "very_high", "critical", "severe", "almost certain", "certain"),
        ]
    )
    for word in group
}


def fill_schema(
    schema: Mapping[str, Any], pool: EvidencePool, max_items: int = DEFAULT_MAX_ITEMS
) -> Any:
    """A JSON value satisfying ``schema`` built only from ``pool``'s sentences."""
    return _Filler(schema, pool, max_items).fill()


class _Filler:
    def __init__(self, schema: Mapping[str, Any], pool: EvidencePool, max_items: int) -> None:
        self.root = schema
        self.pool = pool
        self.max_items = max_items
        # Sentences used so far, in order; citations, ids and confidence derive from them.
        self.cited: list[EvidenceSentence] = []

    def fill(self) -> Any:
        value = self.value(self.root, "", None)
        if isinstance(value, dict):
            self._refill_dependent_fields(value)
            self._mark_method(value)
        return value

    # -- schema plumbing -------------------------------------------------------------------

    def resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        schema = dict(schema)
        while "$ref" in schema:
            target = self._lookup(schema.pop("$ref"))
            schema = {**target, **schema}
        for key in ("anyOf", "oneOf"):
            if key in schema:
                options = [self.resolve(o) for o in schema.pop(key)]
                usable = [o for o in options if o.get("type") != "null"] or options
                schema = {**usable[0], **schema}
        if "allOf" in schema:
            for part in schema.pop("allOf"):
                schema = {**self.resolve(part), **schema}
        return schema

    def _lookup(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("#"):
            raise ValueError(f"only local $refs are supported, got {ref!r}")
        node: Any = self.root
        for part in ref.lstrip("#/").split("/") if ref != "#" else []:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    @staticmethod
    def type_of(schema: Mapping[str, Any]) -> str:
        declared = schema.get("type")
        if isinstance(declared, list):
            declared = next((t for t in declared if t != "null"), "null")
        if declared:
            return declared
        if "properties" in schema:
            return "object"
        if "items" in schema:
            return "array"
        if "enum" in schema:
            return _JSON_TYPES.get(type(schema["enum"][0]), "string")
        return "string"

    # -- values ----------------------------------------------------------------------------

    def value(
        self,
        schema: Mapping[str, Any],
        name: str,
        ctx: EvidenceSentence | None,
        role: FieldRole | None = None,
    ) -> Any:
        schema = self.resolve(schema)
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        role = role or (role_of(name) if name else FieldRole.TEXT)
        kind = self.type_of(schema)
        if kind == "object":
            return self.object(schema, ctx)
        if kind == "array":
            return self.array(schema, name, role, ctx)
        if kind in ("number", "integer"):
            return self.number(schema, role, ctx, integer=kind == "integer")
        if kind == "boolean":
            return role is FieldRole.METHOD or "extractive" in name.lower()
        if kind == "null":
            return None
        return self.string(schema, role, ctx)

    def object(self, schema: Mapping[str, Any], ctx: EvidenceSentence | None) -> dict:
        properties = schema.get("properties", {})
        roles = roles_of(properties)
        return {key: self.value(sub, key, ctx, roles[key]) for key, sub in properties.items()}

    def array(
        self,
        schema: Mapping[str, Any],
        name: str,
        role: FieldRole,
        ctx: EvidenceSentence | None,
    ) -> list:
        items = self.resolve(schema.get("items", {}))
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", self.max_items), self.max_items)
        high = max(high, low)
        item_kind = self.type_of(items)
        if role is FieldRole.EVIDENCE_IDS:
            values = self._ids_for(ctx)
        elif role is FieldRole.CITATIONS:
            values = self._citations(items, item_kind)
        elif role is FieldRole.KEYWORDS and item_kind == "string":
            values = [k.phrase for k in self.pool.keywords]
        elif role is FieldRole.ENTITIES:
            values = self._entities(items, item_kind)
        elif item_kind in ("object", "string"):
            chosen = self.sentences_for(role, ctx, high)
            values = [self.value(items, _singular(name), s) for s in chosen]
        else:
            values = []
        values = _distinct(values) if schema.get("uniqueItems") else values
        values = values[:high]
        while len(values) < low:
            values.append(self._padding(items, name, role, values))
        return values

    def string(self, schema: Mapping[str, Any], role: FieldRole, ctx) -> str:
        if "enum" in schema:
            return self.choose_enum(schema["enum"], role, ctx)
        text = self._text_for(role, ctx)
        return _fit_length(text, schema.get("minLength", 0), schema.get("maxLength"))

    def number(self, schema: Mapping[str, Any], role: FieldRole, ctx, integer: bool) -> float:
        if "enum" in schema:
            return self.choose_enum(schema["enum"], role, ctx)
        level = self.level(role, ctx)
        default_low, default_high = _default_range(role, integer)
        low = schema.get("minimum", schema.get("exclusiveMinimum", default_low))
        high = schema.get("maximum", schema.get("exclusiveMaximum", max(default_high, low)))
        if role is FieldRole.COUNT:
            value = float(low)
        else:
            value = low + level * (high - low)
        if integer:
            value = int(round(value))
        else:
            value = round(value, 3)
        return _clamp_exclusive(value, schema, integer)

    def choose_enum(self, options: list, role: FieldRole, ctx) -> Any:
        if role is FieldRole.METHOD and METHOD in options:
            return METHOD
        if role is FieldRole.SENTIMENT:
            label = self._sentiment_label(ctx)
            for option in options:
                if str(option).lower() == label:
                    return option
        ranks = [_LADDER.get(str(o).lower()) for o in options]
        ordered = (
            [o for _, o in sorted(zip(ranks, options, strict=True), key=lambda p: p[0])]
            if all(r is not None for r in ranks)
            else list(options)
        )
        if role in (FieldRole.CONFIDENCE, FieldRole.LIKELIHOOD, FieldRole.IMPACT):
            return ordered[round(self.level(role, ctx) * (len(ordered) - 1))]
        return options[0]

    # -- heuristics ------------------------------------------------------------------------

    def level(self, role: FieldRole, ctx: EvidenceSentence | None) -> float:
        """A value in [0, 1] for confidence, likelihood or impact."""
        if role is FieldRole.CONFIDENCE:
            return self.confidence()
        if role is FieldRole.LIKELIHOOD:
            return ctx.likelihood if ctx else 0.5
        if role is FieldRole.IMPACT:
            return ctx.intensity if ctx else 0.5
        return 0.5

    def confidence(self) -> float:
        if not self.pool.sentences:
            return 0.0
        coverage = len(set(self._cited_ids())) / len(self.pool.evidence)
        return round(CONFIDENCE_FLOOR + CONFIDENCE_SPAN * coverage, 3)

    def sentences_for(
        self, role: FieldRole, ctx: EvidenceSentence | None, count: int
    ) -> list[EvidenceSentence]:
        if ctx is not None and role in (FieldRole.TEXT, FieldRole.FINDINGS):
            return [ctx]
        if role is FieldRole.NEGATIVE:
            chosen = self.pool.negative()
        elif role is FieldRole.POSITIVE:
            chosen = self.pool.positive()
        elif role in _QUADRANTS:
            chosen = self.pool.quadrant(_QUADRANTS[role])
        elif role is FieldRole.ADVICE:
            chosen = self.pool.actionable()
        else:
            chosen = self.pool.most_relevant()
        chosen = chosen[:count]
        self.cited += chosen
        return chosen

    def _text_for(self, role: FieldRole, ctx: EvidenceSentence | None) -> str:
        if not self.pool.sentences:
            return METHOD if role is FieldRole.METHOD else NO_EVIDENCE_TEXT
        if role is FieldRole.METHOD:
            return METHOD
        if role is FieldRole.EVIDENCE_IDS:
            return ctx.evidence_id if ctx else self.pool.sentences[0].evidence_id
        if role is FieldRole.SOURCE:
            return self._source_of(ctx.evidence_id if ctx else self.pool.evidence[0].id)
        if role is FieldRole.SENTIMENT:
            return self._sentiment_label(ctx)
        if role in (FieldRole.CONFIDENCE, FieldRole.LIKELIHOOD, FieldRole.IMPACT):
            return _level_word(self.level(role, ctx))
        if role is FieldRole.SUMMARY and ctx is None:
            chosen = self.pool.summary_sentences(SUMMARY_SENTENCES)
            self.cited += chosen
            return " ".join(s.text for s in chosen)
        if role is FieldRole.TITLE:
            text = ctx.text if ctx else self.pool.summary(1)
            return _first_words(text, TITLE_WORDS)
        if role is FieldRole.KEYWORDS:
            return ", ".join(k.phrase for k in self.pool.keywords[:5])
        if role is FieldRole.ADVICE:
            finding = ctx or next(iter(self.sentences_for(role, None, 1)), None)
            finding = finding or self.pool.most_relevant()[0]
            return finding.text if finding.advice else self._action(finding)
        if ctx is not None:
            return ctx.text
        chosen = self.sentences_for(role, None, 1) or self.pool.most_relevant()[:1]
        return chosen[0].text

    def _ids_for(self, ctx: EvidenceSentence | None) -> list[str]:
        if ctx is not None:
            return [ctx.evidence_id]
        return self._cited_ids() or [p.id for p in self.pool.evidence]

    def _citations(self, items: Mapping[str, Any], item_kind: str) -> list:
        """One citation per cited passage, quoting the first sentence used from it."""
        quoted: dict[str, EvidenceSentence] = {}
        for sentence in self.cited:
            quoted.setdefault(sentence.evidence_id, sentence)
        if not quoted:
            for sentence in self.pool.sentences:
                quoted.setdefault(sentence.evidence_id, sentence)
        if item_kind == "object":
            return [self.value(items, "citation", s) for s in quoted.values()]
        return list(quoted)

    def _cited_ids(self) -> list[str]:
        return _distinct([s.evidence_id for s in self.cited])

    def _entities(self, items: Mapping[str, Any], item_kind: str) -> list:
        if item_kind == "string":
            return [e.text for e in self.pool.entities]
        values = []
        for entity in self.pool.entities:
            value = {}
            for key, sub in items.get("properties", {}).items():
                role = role_of(key)
                sub_kind = self.type_of(self.resolve(sub))
                if role is FieldRole.LABEL and sub_kind == "string":
                    value[key] = entity.label
                elif role is FieldRole.COUNT and sub_kind in ("integer", "number"):
                    value[key] = entity.count
                elif sub_kind == "string":
                    value[key] = entity.text
                else:
                    value[key] = self.value(sub, key, None)
            values.append(value)
        return values

    def _action(self, finding: EvidenceSentence) -> str:
        return action_for(finding.text, finding.quadrant, self.pool.names)

    def _padding(self, items: Mapping[str, Any], name: str, role: FieldRole, values: list) -> Any:
        if role in _QUADRANTS and self.type_of(items) == "string":
            # Another quadrant's sentence would say the same thing twice.
            return f"No {_QUADRANTS[role].value} was found in the evidence."
        source = self.pool.most_relevant()
        ctx = source[len(values) % len(source)] if source else None
        return self.value(items, _singular(name), ctx)

    def _sentiment_label(self, ctx: EvidenceSentence | None) -> str:
        polarity = ctx.polarity if ctx else self.pool.overall_polarity()
        if polarity >= POSITIVE_THRESHOLD:
            return "positive"
        return "negative" if polarity <= -POSITIVE_THRESHOLD else "neutral"

    def _source_of(self, evidence_id: str) -> str:
        passage = next(p for p in self.pool.evidence if p.id == evidence_id)
        return passage.source or passage.id

    def _mark_method(self, value: dict) -> None:
        properties = self.resolve(self.root).get("properties", {})
        allows_extra = self.resolve(self.root).get("additionalProperties", True) is not False
        if "method" in properties or allows_extra:
            if "method" not in properties or _accepts(self.resolve(properties["method"])):
                value["method"] = METHOD

    def _refill_dependent_fields(self, value: dict) -> None:
        """Top-level confidence, citations and evidence ids depend on everything cited, so
        they are computed again once all other fields are filled."""
        dependent = (FieldRole.CONFIDENCE, FieldRole.CITATIONS, FieldRole.EVIDENCE_IDS)
        for key, sub in self.resolve(self.root).get("properties", {}).items():
            if role_of(key) in dependent:
                value[key] = self.value(sub, key, None)


def _default_range(role: FieldRole, integer: bool) -> tuple[float, float]:
    """The scale of an unbounded number: 1-5 for integer likelihood/impact, 0-100 for an
    integer confidence, otherwise 0-1."""
    if integer and role in (FieldRole.LIKELIHOOD, FieldRole.IMPACT):
        return 1, 5
    if integer and role is FieldRole.CONFIDENCE:
        return 0, 100
    return 0, 1


def _accepts(schema: Mapping[str, Any]) -> bool:
    if "enum" in schema:
        return METHOD in schema["enum"]
    if "const" in schema:
        return schema["const"] == METHOD
    return schema.get("type", "string") in ("string", ["string"], ["string", "null"])


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _distinct(values: list) -> list:
    out: list = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def _first_words(text: str, count: int) -> str:
    parts = text.split()
    return " ".join(parts[:count]).rstrip(".,;:") + ("…" if len(parts) > count else "")


def _level_word(level: float) -> str:
    return "low" if level < 0.4 else "medium" if level < 0.7 else "high"


def _fit_length(text: str, min_length: int, max_length: int | None) -> str:
    if max_length is not None and len(text) > max_length:
        cut = text[: max(0, max_length - 1)]
        cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
        text = (cut + "…")[:max_length]
    if len(text) < min_length:
        text = text.ljust(min_length, ".")
    return text


def _clamp_exclusive(value: float, schema: Mapping[str, Any], integer: bool) -> float:
    step = 1 if integer else 0.001
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        value = schema["exclusiveMinimum"] + step
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        value = schema["exclusiveMaximum"] - step
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    if "maximum" in schema:
        value = min(value, schema["maximum"])
    return value

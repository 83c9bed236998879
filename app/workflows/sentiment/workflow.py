"""``sentiment``: VADER sentiment of many texts, in batches fanned out as a group and
aggregated by a chord callback."""

from __future__ import annotations

from celery import chord, group
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.settings import get_settings
from app.workflows.fields import Timestamp, list_length_matches
from app.workflows.registry import Plan, Workflow, register
from app.workflows.sentiment import steps
from app.workflows.sentiment.examples import EXAMPLES

MAX_TEXTS = 10_000
MAX_TEXT_CHARS = 20_000
BUCKETS = ("auto", "minute", "hour", "day", "week", "month")
BACKENDS = ("vader", "local", "embedded", "ollama", "openai")


class SentimentParams(Schema):
    texts = fields.List(
        fields.String(validate=validate.Length(max=MAX_TEXT_CHARS)), required=True,
        validate=validate.Length(min=1, max=MAX_TEXTS),
        metadata={"description": f"1–{MAX_TEXTS:,} texts of at most {MAX_TEXT_CHARS:,} "
                                 "characters"})
    ids = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                      load_default=None, validate=validate.Length(max=MAX_TEXTS),
                      metadata={"description": "Optional id per text (unique)"})
    timestamps = fields.List(Timestamp(), load_default=None,
                             validate=validate.Length(max=MAX_TEXTS),
                             metadata={"description": "Optional time per text; enables the "
                                                      "trend"})
    bucket = fields.String(load_default="auto", validate=validate.OneOf(BUCKETS),
                           metadata={"description": "Trend bucket width"})
    backend = fields.String(load_default="vader", validate=validate.OneOf(BACKENDS),
                            metadata={"description": "vader (also 'local') or an LLM backend; "
                                                     "the result has the same shape"})

    @validates_schema(skip_on_field_errors=True)
    def _consistent(self, data, **kwargs):
        list_length_matches(data, "ids")
        list_length_matches(data, "timestamps")
        ids = data.get("ids")
        if ids is not None and len(set(ids)) != len(ids):
            raise ValidationError("Ids must be unique.", field_name="ids")


def batches(texts: list[str], max_items: int, max_chars: int) -> list[tuple[int, int]]:
    """Contiguous (start, end) spans of at most ``max_items`` texts and about ``max_chars``
    characters: VADER's cost grows faster than linearly with text length, so long texts get
    smaller batches and every batch stays well inside the step time limit."""
    spans, start, chars = [], 0, 0
    for i, text in enumerate(texts):
        if i > start and (i - start >= max_items or chars + len(text) > max_chars):
            spans.append((start, i))
            start, chars = i, 0
        chars += len(text)
    spans.append((start, len(texts)))
    return spans


def build(plan: Plan, params: dict):
    texts = params["texts"]
    settings = get_settings()
    spans = batches(texts, settings.sentiment_batch_size, settings.sentiment_batch_chars)
    backend = "vader" if params["backend"] == "local" else params["backend"]
    header = group([plan.step(steps.SCORE_BATCH, f"batch-{i:05d}", texts[a:b], a,
                              backend=backend, fan_in=True)
                    for i, (a, b) in enumerate(spans)])
    callback = plan.step(steps.AGGREGATE, "aggregate", n_batches=len(spans),
                         ids=params.get("ids"), timestamps=params.get("timestamps"),
                         bucket=params["bucket"], analyser=backend)
    return chord(header, callback)


register(Workflow(name="sentiment",
                  description="Sentiment (VADER compound score and label) of up to 10,000 "
                              "texts, with label counts, mean and a time trend.",
                  schema=SentimentParams, build=build, steps=(steps.SCORE_BATCH, steps.AGGREGATE),
                  examples=EXAMPLES,
                  result_types={"count": "integer", "mean": "number", "counts": "object",
                                "items": "array<object>", "analyser": "string"}))

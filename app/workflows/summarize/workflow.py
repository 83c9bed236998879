"""``summarize``: a text, or a document of a knowledge-base collection (an ingested YouTube
transcript is one), summarised with key points: sections in parallel (a group), combined by
a chord callback."""

from __future__ import annotations

from celery import chord, group
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.llm import BACKENDS
from app.settings import get_settings
from app.workflows.knowledge.collections import existing_collection
from app.workflows.registry import Plan, Workflow, register
from app.workflows.summarize import steps
from app.workflows.summarize.examples import EXAMPLES
from app.workflows.summarize.sections import sections

MAX_TEXT_CHARS = 2_000_000


class SummarizeParams(Schema):
    text = fields.String(load_default=None, validate=validate.Length(min=1, max=MAX_TEXT_CHARS),
                         metadata={"description": "The text to summarise"})
    collection = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                               metadata={"description": "Or: a knowledge-base collection …"})
    document_id = fields.String(load_default=None, validate=validate.Length(min=1, max=200),
                                metadata={"description": "… and one of its documents (a "
                                                         "YouTube transcript's is the video "
                                                         "id); absent: the whole collection"})
    focus = fields.String(load_default="", validate=validate.Length(max=500))
    max_points = fields.Integer(load_default=5, validate=validate.Range(1, 20))
    backend = fields.String(load_default=None, allow_none=True,
                            validate=validate.OneOf(BACKENDS))

    @validates_schema(skip_on_field_errors=True)
    def _one_source(self, data, **kwargs):
        if (data.get("text") is None) == (data.get("collection") is None):
            raise ValidationError("Give either 'text' or 'collection'.", field_name="text")
        if data.get("document_id") and not data.get("collection"):
            raise ValidationError("Needs 'collection'.", field_name="document_id")


def build(plan: Plan, params: dict):
    if params.get("collection"):
        existing_collection(plan.tenant, params["collection"])  # a 422 now, not a failed job
    common = {"backend": params["backend"] or get_settings().llm_backend,
              "max_points": params["max_points"], "focus": params["focus"]}
    if params["text"] is not None:
        pieces = sections(params["text"])
        header = [plan.step(steps.SECTION, f"section-{i:04d}", text=piece,
                            fan_in=True, **common) for i, piece in enumerate(pieces)]
        return chord(group(header), plan.step(steps.COMBINE, "combine",
                                              n_sections=len(pieces), **common))
    return plan.step(steps.DOCUMENT, "summarize", tenant=plan.tenant,
                     collection=params["collection"], document_id=params["document_id"],
                     **common)


register(Workflow(name="summarize",
                  description="A summary with key points and keywords of a text or of a "
                              "knowledge-base document or collection (e.g. a YouTube "
                              "transcript).",
                  schema=SummarizeParams, build=build,
                  steps=(steps.SECTION, steps.COMBINE, steps.DOCUMENT), examples=EXAMPLES))

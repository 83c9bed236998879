"""``topics``: the topics of a knowledge-base collection (all its documents, or those its
metadata filter selects) or of a list of texts, found by clustering their embeddings (one
step on the analytics queue: k-means or HDBSCAN need every vector at once)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.settings import get_settings
from app.workflows.knowledge.collections import as_validation_error, existing_collection
from app.workflows.knowledge.embeddings import EMBEDDER_KINDS
from app.workflows.knowledge.filters import check_where
from app.workflows.registry import Plan, Workflow, register
from app.workflows.topics import steps
from app.workflows.topics.examples import EXAMPLES
from app.workflows.topics.fields import AUTO, TopicCount

MAX_TEXTS = 10_000
MAX_TEXT_CHARS = 20_000


class TopicsParams(Schema):
    texts = fields.List(
        fields.String(validate=validate.Length(min=1, max=MAX_TEXT_CHARS)), load_default=None,
        validate=validate.Length(min=1, max=MAX_TEXTS),
        metadata={"description": f"The texts (1-{MAX_TEXTS:,}, each at most "
                                 f"{MAX_TEXT_CHARS:,} characters); or give 'collection'"})
    collection = fields.String(load_default=None, validate=validate.Length(min=1, max=128),
                               metadata={"description": "Or: a knowledge-base collection "
                                                        "of the tenant (its documents, by "
                                                        "their stored embeddings)"})
    where = fields.Dict(load_default=None, metadata={
        "description": "With 'collection': only the documents whose metadata match this "
                       "filter (the search filter grammar, e.g. {\"lang\": \"en\"})"})
    k = TopicCount(load_default=AUTO)
    seed = fields.Integer(load_default=0, validate=validate.Range(0, 2**32 - 1), metadata={
        "description": "The same inputs and seed give the same topics"})
    keywords = fields.Integer(load_default=10, validate=validate.Range(1, 30), metadata={
        "description": "Keywords per topic (class-based TF-IDF)"})
    representatives = fields.Integer(load_default=3, validate=validate.Range(1, 20), metadata={
        "description": "Representative texts per topic (the closest to its centre)"})
    embedder = fields.String(load_default=None, validate=validate.OneOf(EMBEDDER_KINDS),
                             metadata={"description": "With 'texts': the embedder (default "
                                                      "DIA3_EMBEDDER); a collection always "
                                                      "uses its stored embeddings"})

    @validates_schema(skip_on_field_errors=True)
    def _one_source(self, data: dict, **kwargs) -> None:
        texts, collection = data.get("texts"), data.get("collection")
        if (texts is None) == (collection is None):
            raise ValidationError("Give either 'texts' or 'collection'.", field_name="texts")
        if collection is None and data.get("where") is not None:
            raise ValidationError("Needs 'collection'.", field_name="where")
        if collection is not None and data.get("embedder") is not None:
            raise ValidationError("Only with 'texts': a collection's documents are "
                                  "clustered by their stored embeddings.",
                                  field_name="embedder")
        if data.get("where") is not None:
            with as_validation_error():
                check_where(data["where"])
        if texts is not None and data["k"] != AUTO and data["k"] > len(texts):
            raise ValidationError(f"Must be at most the number of texts ({len(texts)}).",
                                  field_name="k")


def build(plan: Plan, params: dict):
    common = {"k": params["k"], "seed": params["seed"], "keywords": params["keywords"],
              "representatives": params["representatives"]}
    if params["texts"] is not None:
        return plan.step(steps.FIND, "topics", texts=params["texts"],
                         embedder=params["embedder"] or get_settings().embedder, **common)
    info = existing_collection(plan.tenant, params["collection"])  # a 422 now, not a failure
    if params["k"] != AUTO and params["k"] > info.document_count:
        raise ValidationError({"k": [f"Must be at most the number of documents in "
                                     f"{info.name!r} ({info.document_count})."]})
    return plan.step(steps.FIND, "topics", tenant=plan.tenant,
                     collection=params["collection"], where=params["where"], **common)


register(Workflow(name="topics",
                  description="The topics of a knowledge-base collection or of a list of "
                              "texts: each with a keyword label (class-based TF-IDF), its "
                              "size and representative texts, and a topic per input.",
                  schema=TopicsParams, build=build, steps=(steps.FIND,), examples=EXAMPLES))

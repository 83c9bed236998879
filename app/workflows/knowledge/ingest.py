"""``ingest``: documents into a knowledge-base collection, one step per document fanned out as
a group, with a chord callback that reports per-document outcomes and totals.

Submit-time checks reject what can never work (no documents, too many, a document over the
size limit, bad base64, bad metadata or ids, a missing collection) with field-level 422s.
Whether a file holds usable text is found out by its step: a corrupt, empty or unsupported
document is recorded as failed with its reason while the others still land.
"""

from __future__ import annotations

import base64
import binascii

from celery import chord, group
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from app.settings import get_settings
from app.workflows.knowledge import steps, uploads
from app.workflows.knowledge.collections import (
    as_validation_error,
    collection_field,
    existing_collection,
)
from app.workflows.knowledge.examples import INGEST
from app.workflows.knowledge.ids import validate_document_id
from app.workflows.knowledge.metadata import validate_metadata
from app.workflows.registry import Plan, Workflow, register


class DocumentSpec(Schema):
    text = fields.String(load_default=None, metadata={
        "description": "The document as text (plain, Markdown or HTML: see media_type)"})
    content_base64 = fields.String(load_default=None, metadata={
        "description": "The document's bytes, base64-encoded (e.g. a PDF)"})
    filename = fields.String(load_default=None, validate=validate.Length(min=1, max=255),
                             metadata={"description": "Used to detect the type and as source"})
    media_type = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                               metadata={"description": "text/plain, text/markdown, text/html "
                                                        "or application/pdf"})
    title = fields.String(load_default=None, validate=validate.Length(min=1, max=500))
    source = fields.String(load_default=None, validate=validate.Length(min=1, max=2000))
    metadata = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "Free metadata (string, number or boolean values), filterable in search"})
    document_id = fields.String(load_default=None, metadata={
        "description": "Stable id; default derived from the content (re-ingesting is a no-op)"})

    @validates_schema(skip_on_field_errors=True)
    def _one_content(self, data, **kwargs):
        if (data["text"] is None) == (data["content_base64"] is None):
            raise ValidationError("Give exactly one of 'text' and 'content_base64'.",
                                  field_name="text")

    @post_load
    def _decode(self, data, **kwargs) -> dict:
        """Bytes of the document, size-checked; the engine's id and metadata rules."""
        text, encoded = data.pop("text"), data.pop("content_base64")
        if text is not None:
            content = text.encode("utf-8")
        else:
            try:
                content = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError("Not valid base64.", field_name="content_base64") from None
        limit = get_settings().upload_max_bytes
        if len(content) > limit:
            raise ValidationError(f"The document has {len(content)} bytes; the limit is {limit} "
                                  "(DIA3_UPLOAD_MAX_BYTES).",
                                  field_name="text" if text is not None else "content_base64")
        with as_validation_error():
            data["metadata"] = validate_metadata(data["metadata"])
            if data["document_id"] is not None:
                validate_document_id(data["document_id"])
        return {**data, "content": content}


class IngestParams(Schema):
    collection = collection_field()
    documents = fields.List(fields.Nested(DocumentSpec), required=True,
                            validate=validate.Length(min=1), metadata={
                                "description": "At most DIA3_DOCUMENTS_PER_JOB_MAX documents"})

    @validates("documents")
    def _not_too_many(self, documents, **kwargs):
        limit = get_settings().documents_per_job_max
        if len(documents) > limit:
            raise ValidationError(f"{len(documents)} documents; at most {limit} per job "
                                  "(DIA3_DOCUMENTS_PER_JOB_MAX).")

    @post_load
    def _stage(self, data, **kwargs) -> dict:
        """Every document valid: store the contents once and keep only references, so the
        job's params and task messages stay small."""
        documents = []
        for spec in data["documents"]:
            content = spec.pop("content")
            documents.append({**spec, "upload": uploads.stage(content), "size": len(content)})
        return {**data, "documents": documents}


def build(plan: Plan, params: dict):
    name = params["collection"]
    existing_collection(plan.tenant, name)
    header = group([plan.step(steps.INGEST_DOCUMENT, f"doc-{i:04d}", plan.tenant, name, i, spec,
                              fan_in=True)
                    for i, spec in enumerate(params["documents"])])
    callback = plan.step(steps.INGEST_SUMMARISE, "summarise", tenant=plan.tenant,
                         collection=name, n_documents=len(params["documents"]))
    return chord(header, callback)


register(Workflow(name="ingest",
                  description="Documents (text, Markdown, HTML, PDF) into a knowledge-base "
                              "collection: text extraction, token-aware chunks with overlap, "
                              "batched embeddings; per-document outcomes and totals.",
                  schema=IngestParams, build=build,
                  steps=(steps.INGEST_DOCUMENT, steps.INGEST_SUMMARISE), category="knowledge",
                  on_delete=uploads.staged_keys, examples=INGEST))

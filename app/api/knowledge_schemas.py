"""Request and response schemas of the knowledge-base endpoints (they also make the spec)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import page_size_field
from app.workflows.knowledge.embeddings import EMBEDDER_KINDS
from app.workflows.knowledge.store import MAX_K, MAX_OFFSET, MAX_PAGE

COLLECTION_NAME = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$",
    error="1-128 characters: letters, digits and _.- , starting with a letter or digit.")


class CollectionCreateSchema(Schema):
    name = fields.String(required=True, validate=COLLECTION_NAME)
    embedder = fields.String(load_default=None, validate=validate.OneOf(EMBEDDER_KINDS),
                             metadata={"description": "Embedder of the collection's vectors "
                                                      "(default DIA3_EMBEDDER); fixed for its "
                                                      "lifetime"})
    description = fields.String(load_default=None, validate=validate.Length(max=1000))


class CollectionSchema(Schema):
    tenant = fields.String()
    name = fields.String()
    embedder = fields.String(metadata={"description": "Identity of the embedder, e.g. "
                                                      "local:all-MiniLM-L6-v2"})
    dimension = fields.Integer()
    created_at = fields.String()
    document_count = fields.Integer()
    chunk_count = fields.Integer()
    description = fields.String(allow_none=True)


class CollectionListSchema(Schema):
    items = fields.List(fields.Nested(CollectionSchema))


class DocumentSchema(Schema):
    document_id = fields.String()
    title = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    media_type = fields.String(allow_none=True)
    chunk_count = fields.Integer()
    created_at = fields.String()
    updated_at = fields.String()
    metadata = fields.Dict()


class DocumentPageSchema(Schema):
    items = fields.List(fields.Nested(DocumentSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class DocumentListQuerySchema(Schema):
    limit = page_size_field(hard_max=MAX_PAGE)
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class DocumentDeletedSchema(Schema):
    document_id = fields.String()
    chunks_removed = fields.Integer()


class SearchSchema(Schema):
    query = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    k = fields.Integer(load_default=5, validate=validate.Range(min=1, max=MAX_K))
    where = fields.Dict(load_default=None, metadata={
        "description": "Chroma metadata filter, e.g. {\"lang\": \"en\"} or "
                       "{\"$and\": [{\"year\": {\"$gte\": 2020}}, {\"team\": \"ops\"}]}"})
    embedder = fields.String(load_default=None, validate=validate.OneOf(EMBEDDER_KINDS),
                             metadata={"description": "Must be the collection's embedder "
                                                      "(409 otherwise); default: the "
                                                      "collection's"})


class SearchHitSchema(Schema):
    chunk_id = fields.String()
    document_id = fields.String()
    score = fields.Float(metadata={"description": "Cosine similarity"})
    text = fields.String()
    metadata = fields.Dict(metadata={"description": "Chunk position and times, title, source "
                                                    "and the document's metadata"})


class SearchResultSchema(Schema):
    collection = fields.String()
    query = fields.String()
    hits = fields.List(fields.Nested(SearchHitSchema))

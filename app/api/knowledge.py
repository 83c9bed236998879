"""``/api/v1/collections``: the tenant's knowledge-base collections, their documents and search.

Every call is scoped to the key's tenant: another tenant's collection is a 404, exactly like
one that does not exist. Viewers may list, read and search; writing needs analyst or admin.
Adding documents is an ``ingest`` job (202 + its Location), since extraction and embedding
take longer than a request should.
"""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import ValidationError

from app import service
from app.api.idempotency import idempotency_key
from app.api.json_body import Blueprint
from app.api.knowledge_schemas import (
    CollectionCreateSchema,
    CollectionListSchema,
    CollectionSchema,
    DocumentDeletedSchema,
    DocumentListQuerySchema,
    DocumentPageSchema,
    DocumentSchema,
    SearchResultSchema,
    SearchSchema,
)
from app.api.knowledge_uploads import INGEST_REQUEST_BODY, documents_from_request
from app.api.links import to_collection, to_document, to_job
from app.api.middleware import principal
from app.api.pages import page_limit
from app.api.responses import errors
from app.api.schemas import JobSchema
from app.workflows.knowledge import changes as knowledge_service
from app.workflows.knowledge import service as knowledge

blp = Blueprint("collections", __name__, url_prefix="/api/v1/collections",
                description="Knowledge base: collections of documents and YouTube transcripts, "
                            "semantic search")


def tenant() -> str:
    return principal().tenant


@blp.route("")
class Collections(MethodView):
    @blp.response(200, CollectionListSchema)
    @errors(blp)
    @to_collection(200, at="$response.body#/items/0/name")
    def get(self):
        """The tenant's collections with their embedder and counts"""
        return {"items": [c.to_dict() for c in knowledge.list_collections(tenant())]}

    @blp.arguments(CollectionCreateSchema)
    @blp.response(201, CollectionSchema)
    @blp.alt_response(409, description="The tenant already has a collection of that name")
    @errors(blp, 403, body=True)
    @to_collection(201)
    def post(self, body):
        """Create an empty collection (its embedder is fixed from now on)"""
        info = knowledge_service.create_collection(principal(), body["name"], body["embedder"],
                                                   body["description"])
        return info.to_dict(), 201, {
            "Location": url_for("collections.CollectionByName", name=info.name)}


@blp.route("/<string:name>")
class CollectionByName(MethodView):
    @blp.response(200, CollectionSchema)
    @errors(blp, 404, 422)
    @to_collection(200)
    def get(self, name):
        """A collection with its embedder, dimension and document and chunk counts"""
        return knowledge.describe_collection(tenant(), name).to_dict()

    @blp.response(204)
    @errors(blp, 403, 404, 422)
    def delete(self, name):
        """Delete a collection with all its documents"""
        knowledge_service.delete_collection(principal(), name)


@blp.route("/<string:name>/documents")
class Documents(MethodView):
    @blp.arguments(DocumentListQuerySchema, location="query")
    @blp.response(200, DocumentPageSchema)
    @errors(blp, 404, 422)
    @to_document(200, at="$response.body#/items/0/document_id")
    def get(self, query, name):
        """The collection's documents (offset pagination)"""
        limit = page_limit(query["limit"])
        return knowledge.list_documents(tenant(), name, limit, query["offset"])

    @blp.doc(requestBody=INGEST_REQUEST_BODY)
    @blp.response(202, JobSchema)
    @blp.alt_response(200, schema=JobSchema, description="Existing job (idempotency key)")
    @errors(blp, 403, 404, body=True)
    @to_job(202, 200)
    def post(self, name):
        """Add documents: JSON or a multipart upload; returns the ingest job"""
        with knowledge_service.adding_documents(principal(), name) as entry:
            documents, body_key, location = documents_from_request()
            try:
                job, created = service.submit(principal(), "ingest",
                                              {"collection": name, "documents": documents},
                                              idempotency_key(body_key))
            except ValidationError as exc:
                messages = exc.messages.get("params", exc.messages) if isinstance(
                    exc.messages, dict) else exc.messages
                abort(422, message="The request has invalid fields; see 'errors'.",
                      errors={location: messages})
            entry.detail.update(job=job.id, documents=len(documents))
        return job.to_dict(), (202 if created else 200), {
            "Location": url_for("jobs.JobById", job_id=job.id)}


@blp.route("/<string:name>/documents/<path:document_id>")
class DocumentById(MethodView):
    @blp.response(200, DocumentSchema)
    @errors(blp, 404, 422)
    @to_document(200)
    def get(self, name, document_id):
        """One document of the collection"""
        return knowledge.get_document(tenant(), name, document_id)

    @blp.response(200, DocumentDeletedSchema)
    @errors(blp, 403, 404, 422)
    def delete(self, name, document_id):
        """Delete a document and every chunk of it"""
        removed = knowledge_service.delete_document(principal(), name, document_id)
        return {"document_id": document_id, "chunks_removed": removed}


@blp.route("/<string:name>/search")
class Search(MethodView):
    @blp.arguments(SearchSchema)
    @blp.response(200, SearchResultSchema)
    @errors(blp, 404, 409, body=True)
    @to_document(200, at="$response.body#/hits/0/document_id")
    def post(self, body, name):
        """The k chunks closest in meaning to the query, with scores (read-only)"""
        hits = knowledge.search(tenant(), name, body["query"], body["k"], body["where"],
                                body["embedder"])
        return {"collection": name, "query": body["query"], "hits": hits}

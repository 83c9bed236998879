"""What a collection hands the topics step: its chunks with their stored vectors, at most
so many (found before they are all in memory)."""

import uuid

import pytest

from app.workflows.knowledge import service as knowledge
from app.workflows.knowledge.errors import InputError
from workers.knowledge.engine.ingest import ingest_text


def test_more_chunks_than_the_limit_is_an_error_on_where():
    tenant = f"t{uuid.uuid4().hex[:12]}"
    knowledge.create_collection(tenant, "news", "hashing")
    for document_id in ("a", "b"):
        ingest_text(knowledge.open_collection(tenant, "news"), f"Text {document_id}.",
                    document_id=document_id)
    try:
        assert len(knowledge.chunk_vectors(tenant, "news", limit=2)) == 2
        with pytest.raises(InputError) as error:
            knowledge.chunk_vectors(tenant, "news", limit=1)
        assert error.value.field == "where" and "more than 1 chunks" in error.value.message
    finally:
        knowledge.delete_collection(tenant, "news")

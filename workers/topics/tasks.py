"""The step of ``topics``: gather texts and vectors (a collection's stored embeddings, or
the texts embedded here), then ``workers.topics.engine.find_topics``."""

from __future__ import annotations

import numpy as np

from app.settings import get_settings
from app.workflows.knowledge import service as knowledge
from app.workflows.topics import steps
from workers.knowledge.tasks.steps import batch_progress, step_errors
from workers.runtime.errors import PermanentError
from workers.runtime.job_step import job_task
from workers.topics.engine import find_topics
from workers.topics.engine.documents import documents_of

MAX_DOCUMENTS = 10_000
#: what a collection may hand over at most (its documents' chunks, with their vectors)
MAX_CHUNKS = 50_000


@job_task(steps.FIND, ignore_result=True, final=True)
def find(self, k: int | str, seed: int, keywords: int, representatives: int,
         texts: list[str] | None = None, embedder: str | None = None,
         tenant: str | None = None, collection: str | None = None,
         where: dict | None = None) -> dict:
    options = {"k": k, "seed": seed, "keywords": keywords, "representatives": representatives}
    if texts is not None:
        with step_errors():
            model = knowledge.embedder(embedder)
            vectors = embed(model, texts, batch_progress(self))
        return {**find_topics(texts, vectors, **options), "embedder": model.identity}
    with step_errors():
        info = knowledge.describe_collection(tenant, collection)
        ids, documents, vectors = documents_of(knowledge.chunk_vectors(
            tenant, collection, where, limit=MAX_CHUNKS))
    if not ids:
        raise PermanentError(f"no document of {collection!r} matches the filter"
                             if where else f"the collection {collection!r} has no documents")
    if len(ids) > MAX_DOCUMENTS:
        raise PermanentError(f"{len(ids)} documents; topics takes at most {MAX_DOCUMENTS:,}: "
                             "narrow them with 'where'")
    if k != "auto" and k > len(ids):
        raise PermanentError(f"k={k} but only {len(ids)} documents match")
    self.check_cancelled()
    result = find_topics(documents, vectors, **options)
    for topic in result["topics"]:
        for item in topic["representatives"]:
            item["document_id"] = ids[item["index"]]
    return {**result, "document_ids": ids, "collection": collection,
            "embedder": info.embedder}


def embed(model, texts: list[str], on_batch) -> np.ndarray:
    """The texts' vectors, a batch at a time so that progress shows and a cancelled job
    stops between batches."""
    size = max(1, get_settings().embed_batch_size) * 8
    total = -(-len(texts) // size)
    parts = []
    for number, start in enumerate(range(0, len(texts), size), 1):
        parts.append(model.embed(texts[start:start + size]))
        on_batch(number, total)
    return np.vstack(parts)

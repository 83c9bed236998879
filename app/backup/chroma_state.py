"""The knowledge base's Chroma collections, read for a backup and written back on restore.

Every collection DIA3 made (chunks and their manifests, marked by ``kb_kind`` metadata) is
copied with its name, metadata, distance space and every record's id, document, metadata and
embedding, so a restored collection answers searches exactly as before without re-embedding.
Chroma has no snapshots: a collection is read page by page, so a document added or deleted
while the backup runs may be in it partly; pause ingestion for an exact copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the API process must not load chromadb until a request needs it
    from chromadb.api import ClientAPI

PAGE = 500
INCLUDE = ["documents", "metadatas", "embeddings"]


def dia3_collections(client: ClientAPI) -> list[Any]:
    return [c for c in client.list_collections() if (c.metadata or {}).get("kb_kind")]


def _space(collection: Any) -> str | None:
    config = collection.configuration_json or {}
    hnsw = config.get("hnsw") or {}
    return hnsw.get("space") if isinstance(hnsw, dict) else None


def records(client: ClientAPI, names: set[str] | None = None, embeddings: bool = True
            ) -> Iterator[dict[str, Any]]:
    """One ``collection`` line per collection (of ``names`` only, when given), then its
    records in ``batch`` lines (without their vectors unless ``embeddings``)."""
    include = INCLUDE if embeddings else INCLUDE[:2]
    for collection in dia3_collections(client):
        if names is not None and collection.name not in names:
            continue
        yield {"type": "collection", "name": collection.name, "metadata": collection.metadata,
               "space": _space(collection)}
        offset = 0
        while True:
            page = collection.get(limit=PAGE, offset=offset, include=include)
            if not page["ids"]:
                break
            offset += len(page["ids"])
            line = {"type": "batch", "name": collection.name, "ids": page["ids"],
                    "documents": page["documents"], "metadatas": page["metadatas"]}
            if embeddings:
                line["embeddings"] = [list(map(float, e)) for e in page["embeddings"]]
            yield line


def restore(client: ClientAPI, lines: Iterator[dict[str, Any]]) -> dict[str, int]:
    """Recreate each collection (replacing one of the same name) and add its records."""
    counts = {"collections": 0, "records": 0}
    existing = {c.name for c in client.list_collections()}
    target = None
    batch_max = client.get_max_batch_size()
    for line in lines:
        if line["type"] == "collection":
            if line["name"] in existing:
                client.delete_collection(line["name"])
            configuration = {"hnsw": {"space": line["space"]}} if line["space"] else None
            target = client.create_collection(line["name"], metadata=line["metadata"],
                                              configuration=configuration,
                                              embedding_function=None)
            counts["collections"] += 1
            continue
        for start in range(0, len(line["ids"]), batch_max):
            part = slice(start, start + batch_max)
            target.add(ids=line["ids"][part], documents=_column(line["documents"], part),
                       metadatas=_column(line["metadatas"], part),
                       embeddings=line["embeddings"][part])
        counts["records"] += len(line["ids"])
    return counts


def tally(lines: Iterator[dict[str, Any]]) -> dict[str, int]:
    """Collections and records in a backup's knowledge-base lines (without restoring)."""
    counts = {"collections": 0, "records": 0}
    for line in lines:
        if line["type"] == "collection":
            counts["collections"] += 1
        else:
            counts["records"] += len(line["ids"])
    return counts


def _column(values: list[Any] | None, part: slice) -> list[Any] | None:
    """A column of a batch, or None when no record has it (manifests have no documents)."""
    values = (values or [])[part]
    return values if any(v is not None for v in values) else None


def count(client: ClientAPI) -> int:
    return len(dia3_collections(client))

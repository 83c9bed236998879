"""Plain records returned by the store; ``to_dict()`` gives their JSON shape."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Metadata = dict[str, str | int | float | bool]


@dataclass(frozen=True)
class CollectionInfo:
    tenant: str
    name: str
    embedder: str
    dimension: int
    created_at: str
    document_count: int
    chunk_count: int
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DocumentInput:
    """What the caller knows about a document besides its chunks."""

    document_id: str
    title: str | None = None
    source: str | None = None
    media_type: str | None = None
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentInfo:
    document_id: str
    title: str | None
    source: str | None
    media_type: str | None
    chunk_count: int
    created_at: str
    updated_at: str
    metadata: Metadata

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DocumentPage:
    items: list[DocumentInfo]
    total: int
    limit: int
    offset: int

    def to_dict(self) -> dict[str, Any]:
        return {"items": [d.to_dict() for d in self.items], "total": self.total,
                "limit": self.limit, "offset": self.offset}


@dataclass(frozen=True)
class IngestReport:
    document_id: str
    chunks_total: int
    chunks_added: int
    chunks_unchanged: int
    chunks_removed: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SearchHit:
    chunk_id: str
    document_id: str
    score: float
    text: str
    metadata: Metadata

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    start_char: int
    end_char: int
    token_count: int
    start_time: float | None = None
    end_time: float | None = None

"""Knowledge-base search as the MCP server offers it: the caller's tenant only."""

from __future__ import annotations

from app.auth.keys import Principal
from app.workflows.knowledge import service as knowledge
from app.workflows.knowledge.errors import KnowledgeError


class KnowledgeBaseUnavailable(Exception):
    """A search that cannot be answered; the message says why (unknown collection, …)."""


def search(principal: Principal, query: str, collection: str | None = None,
           k: int = 5) -> list[dict]:
    """The k best hits in one collection, or across all of the tenant's collections."""
    try:
        names = [collection] if collection else [
            info.name for info in knowledge.list_collections(principal.tenant)]
        if not names:
            raise KnowledgeBaseUnavailable("This tenant has no knowledge-base collections yet.")
        hits = [dict(hit, collection=name) for name in names
                for hit in knowledge.search(principal.tenant, name, query, k=k)]
    except KnowledgeError as exc:
        raise KnowledgeBaseUnavailable(str(exc)) from None
    return sorted(hits, key=lambda hit: -hit["score"])[:k]

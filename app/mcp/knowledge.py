"""Knowledge-base search as the MCP server sees it, until the knowledge-base service lands.

The engine exists (``workers/knowledge``) but no service function or API exposes it yet, so
this placeholder fails loudly: an LLM client must learn that search is unavailable rather than
receive an empty list it would read as "nothing relevant found".
"""

from __future__ import annotations

from app.auth.keys import Principal


class KnowledgeBaseUnavailable(Exception):
    pass


def search(principal: Principal, query: str, collection: str | None = None,
           k: int = 5) -> list[dict]:
    raise KnowledgeBaseUnavailable(
        "The knowledge base is not available on this server yet: no collections can be "
        "searched. Use the job tools (list_workflows, submit_job, ...) instead.")

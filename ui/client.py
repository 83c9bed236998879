"""The REST client of the web surfaces: the CLI's ``DIA3Client`` plus the calls only the
dashboard and the landing page make (health, metrics, knowledge base)."""

from __future__ import annotations

from typing import Any

from app.client import APIError, DIA3Client


class KnowledgeBaseUnavailable(Exception):
    """The API answered 404 for the knowledge-base routes: this server has none (yet)."""


def items_of(body: Any, *names: str) -> list:
    """The list in a response that is either a bare list or an object wrapping one, so the
    pages do not depend on which of the two an endpoint chose."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for name in names or ("items",):
            if isinstance(body.get(name), list):
                return body[name]
    return []


class SurfaceClient(DIA3Client):
    def readyz(self) -> tuple[bool, dict]:
        """(ready, body) of ``/readyz``; a 503 is an answer here, not an error (and not
        tried again)."""
        try:
            return True, self.request("GET", "/readyz", retries=0)
        except APIError as exc:
            if exc.status == 503:
                return False, exc.body
            raise

    def metrics_text(self) -> str:
        response = self.session.get(self.base + "/metrics", timeout=self.timeout)
        response.raise_for_status()
        return response.text

    def collections(self) -> list[dict]:
        """The tenant's collections; a 404 means this server has no knowledge base."""
        try:
            return super().collections()
        except APIError as exc:
            if exc.status == 404:
                raise KnowledgeBaseUnavailable(exc.body.get("message", "")) from None
            raise

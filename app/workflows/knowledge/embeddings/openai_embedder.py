"""Embeddings from the OpenAI API (or a compatible server) through the official client."""

from __future__ import annotations

import openai

from app.workflows.knowledge.embeddings.remote import RemoteEmbedder
from app.workflows.knowledge.errors import PermanentError, TransientError

# The client refuses to start without a key; compatible local servers often need none.
_NO_KEY = "no-key"


class OpenAIEmbedder(RemoteEmbedder):
    """Calls ``POST /embeddings``; the client's own retries are kept small and explicit."""

    backend = "openai"

    def __init__(
        self,
        model: str,
        api_key: str | None = None,
        base_url: str | None = None,
        dimension: int | None = None,
        batch_size: int = 256,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        super().__init__(model, dimension, batch_size)
        self._client = openai.OpenAI(
            api_key=api_key or _NO_KEY,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
        )

    def _request(self, texts: list[str]) -> list[list[float]]:
        try:
            response = self._client.embeddings.create(model=self.model, input=texts)
        except openai.APIError as error:
            raise _translate(error, self.identity) from error
        ordered = sorted(response.data, key=lambda item: item.index)
        return [list(item.embedding) for item in ordered]


def _translate(error: openai.APIError, identity: str) -> Exception:
    message = f"{identity}: {error.message}"
    if getattr(error, "code", None) == "insufficient_quota":
        return PermanentError(message, reason="embedder_quota_exhausted")
    if isinstance(error, openai.APIConnectionError | openai.RateLimitError
                  | openai.InternalServerError):
        return TransientError(message, reason="embedder_unavailable")
    if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
        return PermanentError(message, reason="embedder_auth_failed")
    if isinstance(error, openai.NotFoundError):
        return PermanentError(message, reason="embedding_model_not_found")
    if isinstance(error, openai.APIStatusError) and error.status_code in (408, 409):
        return TransientError(message, reason="embedder_unavailable")
    return PermanentError(message, reason="embedder_rejected_request")

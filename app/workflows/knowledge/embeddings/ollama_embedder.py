"""Embeddings from an Ollama server through the official ``ollama`` client."""

from __future__ import annotations

import ollama

from app.workflows.knowledge.embeddings.remote import RemoteEmbedder
from app.workflows.knowledge.errors import PermanentError, TransientError

DEFAULT_HOST = "http://127.0.0.1:11434"


class OllamaEmbedder(RemoteEmbedder):
    """Calls ``POST /api/embed`` with a batch of inputs."""

    backend = "ollama"

    def __init__(
        self,
        model: str,
        host: str = DEFAULT_HOST,
        api_key: str | None = None,
        dimension: int | None = None,
        batch_size: int = 64,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(model, dimension, batch_size)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self._client = ollama.Client(host=host, timeout=timeout, headers=headers)

    def _request(self, texts: list[str]) -> list[list[float]]:
        try:
            response = self._client.embed(model=self.model, input=texts)
        except ollama.ResponseError as error:
            raise _translate(error, self.identity) from error
        except ConnectionError as error:
            raise TransientError(
                f"{self.identity}: cannot reach the Ollama server ({error})",
                reason="embedder_unreachable",
            ) from error
        return [list(vector) for vector in response.embeddings]


def _translate(error: ollama.ResponseError, identity: str) -> Exception:
    message = f"{identity}: {error.error} (HTTP {error.status_code})"
    if error.status_code == 429 or error.status_code >= 500 or error.status_code == -1:
        return TransientError(message, reason="embedder_unavailable")
    if error.status_code == 404:
        return PermanentError(message, reason="embedding_model_not_found")
    return PermanentError(message, reason="embedder_rejected_request")

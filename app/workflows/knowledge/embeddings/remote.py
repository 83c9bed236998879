"""Shared behaviour of embedders that call a model server over HTTP."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

import numpy as np

from app.workflows.knowledge.embeddings.base import Embedder
from app.workflows.knowledge.errors import PermanentError


class RemoteEmbedder(Embedder):
    """Batches requests, checks vector sizes and learns the dimension on first use.

    Subclasses implement ``_request`` (one HTTP call for one batch) and translate their
    client's exceptions into ``TransientError`` / ``PermanentError``.
    """

    backend = "remote"

    def __init__(self, model: str, dimension: int | None, batch_size: int) -> None:
        if not model:
            raise ValueError("model name is required")
        self.model = model
        self._dimension = dimension
        self._batch_size = batch_size

    @property
    def identity(self) -> str:
        return f"{self.backend}:{self.model}"

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.embed(["dimension probe"]).shape[1])
        return self._dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        batches = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            batches.append(self._checked(self._request(batch), len(batch)))
        if not batches:
            return np.zeros((0, self._dimension or 0), dtype=np.float32)
        return np.concatenate(batches).astype(np.float32, copy=False)

    @abstractmethod
    def _request(self, texts: list[str]) -> list[list[float]]:
        """Embed one batch with the server; vectors in input order."""

    def _checked(self, vectors: list[list[float]], expected_rows: int) -> np.ndarray:
        array = np.asarray(vectors, dtype=np.float32)
        if array.ndim != 2 or array.shape[0] != expected_rows:
            raise PermanentError(
                f"{self.identity} returned {array.shape[0] if array.ndim else 0} vectors "
                f"for {expected_rows} inputs",
                reason="bad_embedding_response",
            )
        if self._dimension is not None and array.shape[1] != self._dimension:
            raise PermanentError(
                f"{self.identity} returned {array.shape[1]}-dimensional vectors, "
                f"expected {self._dimension}",
                reason="dimension_mismatch",
            )
        self._dimension = int(array.shape[1])
        return array

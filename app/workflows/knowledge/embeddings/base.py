"""The embedder interface every backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


class Embedder(ABC):
    """Turns texts into fixed-size vectors.

    ``identity`` names the vector space (backend and model). A collection records it at
    creation so that vectors from another model are never mixed into it.
    """

    @property
    @abstractmethod
    def identity(self) -> str:
        """Stable name of the vector space, e.g. ``local:all-MiniLM-L6-v2``."""

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of every vector this embedder returns."""

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed documents; returns a float32 array of shape ``(len(texts), dimension)``."""

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one search query; returns a vector of shape ``(dimension,)``."""
        return self.embed([text])[0]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.identity!r})"


def l2_normalise(vectors: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Scale rows to unit length (zero rows stay zero), as sentence-transformers does."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, eps)).astype(np.float32, copy=False)

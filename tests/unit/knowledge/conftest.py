"""Shared fixtures for the knowledge-engine tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.workflows.knowledge.embeddings.hashing import HashingEmbedder
from tests.shared_fixtures import shared_dir, shared_fixture  # noqa: F401 - used by tests

DATA_DIR = Path(__file__).parent / "data"


def load_json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def local_embedder(tmp_path_factory: pytest.TempPathFactory):
    """The real local model; its ONNX graph is built once per test session."""
    from app.workflows.knowledge.embeddings.local import LocalEmbedder

    embedder = LocalEmbedder(cache_dir=tmp_path_factory.mktemp("onnx-cache"))
    embedder.warm_up()
    return embedder


@pytest.fixture()
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder(dimension=256)

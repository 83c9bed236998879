"""Shared fixtures for the knowledge-engine tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workers.knowledge.embeddings.hashing import HashingEmbedder

DATA_DIR = Path(__file__).parent / "data"
REPO_ROOT = Path(__file__).resolve().parents[3]


def shared_dir() -> Path:
    """The shared fixtures folder: ``$DIA3_SHARED_DIR``, else ``shared`` beside the repo."""
    configured = os.environ.get("DIA3_SHARED_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared"


def shared_fixture(*parts: str) -> Path:
    path = shared_dir().joinpath("fixtures", *parts)
    if not path.exists():
        raise FileNotFoundError(f"shared fixture missing: {path} (set DIA3_SHARED_DIR)")
    return path


def load_json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def local_embedder(tmp_path_factory: pytest.TempPathFactory):
    """The real local model; its ONNX graph is built once per test session."""
    from workers.knowledge.embeddings.local import LocalEmbedder

    embedder = LocalEmbedder(cache_dir=tmp_path_factory.mktemp("onnx-cache"))
    embedder.warm_up()
    return embedder


@pytest.fixture()
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder(dimension=256)

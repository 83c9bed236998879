"""The same store code against a Chroma server (``HttpClient``) instead of embedded."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workers.knowledge.chroma_client import connect_chroma
from workers.knowledge.chunking import ApproxTokenizer, ChunkingConfig
from workers.knowledge.errors import Conflict
from workers.knowledge.ingest import ingest_text
from workers.knowledge.store import KnowledgeStore


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    """A local ``chroma run`` server on an ephemeral loopback port."""
    port = free_port()
    executable = Path(sys.executable).parent / "chroma"
    data_dir = tmp_path_factory.mktemp("chroma-server")
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [str(executable), "run", "--host", "127.0.0.1", "--port", str(port),
         "--path", str(data_dir / "db")],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            connect_chroma(url=url).heartbeat()
            break
        except Exception:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.05)  # polling for the server to accept connections
    yield url
    server.terminate()
    server.wait(timeout=10)
    log.close()


def test_server_backed_store_behaves_like_embedded(chroma_url, hashing_embedder) -> None:
    store = KnowledgeStore(connect_chroma(url=chroma_url))
    collection = store.create_collection("tenant-a", "docs", hashing_embedder)
    store.create_collection("tenant-b", "docs", hashing_embedder)
    config, tokenizer = ChunkingConfig(30, 5), ApproxTokenizer()
    text = "Servers keep vectors for many workers. " * 20

    first = ingest_text(collection, text, chunking=config, tokenizer=tokenizer)
    again = ingest_text(collection, text, chunking=config, tokenizer=tokenizer)

    assert again.chunks_added == 0
    assert collection.info().chunk_count == first.chunks_total
    assert [c.name for c in store.list_collections("tenant-a")] == ["docs"]
    assert store.describe_collection("tenant-b", "docs").chunk_count == 0
    assert collection.search("vectors for workers", k=1)[0].document_id == first.document_id
    with pytest.raises(Conflict):
        store.create_collection("tenant-a", "docs", hashing_embedder)
    assert collection.delete_document(first.document_id) == first.chunks_total
    store.delete_collection("tenant-a", "docs")
    assert store.list_collections("tenant-a") == []

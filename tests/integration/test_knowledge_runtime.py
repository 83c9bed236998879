"""The embedded Chroma server: one per data directory, reused by sibling processes, moved
off a port that something else holds, and gone (with its address file) when stopped."""

import chromadb

from app.runtime.embedded_chroma import EmbeddedChroma, answers
from tests.conftest import free_port


def collections_at(url: str) -> list[str]:
    host, port = url.removeprefix("http://").split(":")
    return [c.name for c in chromadb.HttpClient(host=host, port=int(port)).list_collections()]


def test_one_server_per_data_directory(tmp_path):
    port = free_port()
    first = EmbeddedChroma(tmp_path / "a", port)
    url = first.start()
    try:
        assert url == f"http://127.0.0.1:{port}" and answers(url)
        sibling = EmbeddedChroma(tmp_path / "a", free_port())
        assert sibling.running() and sibling.start() == url
        assert sibling.process is None  # reused, not started: stopping it is a no-op
        sibling.stop()
        assert answers(url)

        other = EmbeddedChroma(tmp_path / "b", port)  # same port, another data directory
        other_url = other.start()
        try:
            assert other_url != url and answers(other_url)
            host, other_port = other_url.removeprefix("http://").split(":")
            chromadb.HttpClient(host=host, port=int(other_port)).create_collection("only-b")
            assert "only-b" in collections_at(other_url)
            assert "only-b" not in collections_at(url)
        finally:
            other.stop()
    finally:
        first.stop()
    assert not answers(url) and not first.running()
    assert not (tmp_path / "a" / "chroma" / "server.json").exists()

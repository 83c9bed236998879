"""The embedded Chroma server: one per data directory, reused by sibling processes, moved
off a port that something else holds, gone (with its address file) when stopped, and closed
to clients without its token."""

import stat

import chromadb
import pytest
import requests

from app.runtime.embedded_chroma import EmbeddedChroma, answers
from app.workflows.knowledge.chroma_client import connect_chroma
from tests.conftest import free_port


def client_of(server: EmbeddedChroma):
    return connect_chroma(url=server.url, token=server.token)


def collections_at(server: EmbeddedChroma) -> list[str]:
    return [c.name for c in client_of(server).list_collections()]


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
            assert other.token != first.token  # each data directory has its own
            client_of(other).create_collection("only-b")
            assert "only-b" in collections_at(other)
            assert "only-b" not in collections_at(first)
        finally:
            other.stop()
    finally:
        first.stop()
    assert not answers(url) and not first.running()
    assert not (tmp_path / "a" / "chroma" / "server.json").exists()


def test_a_client_without_the_token_is_refused(tmp_path):
    """Any local process could list and delete every tenant's collections; the server now
    requires the token generated into the data directory (0600), and DIA3's client sends it."""
    server = EmbeddedChroma(tmp_path / "d", free_port())
    url = server.start()
    try:
        token_file = tmp_path / "d" / "chroma-token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert server.token == token_file.read_text() and len(server.token) >= 32
        client_of(server).create_collection("acme-private")
        assert collections_at(server) == ["acme-private"]

        collections = f"{url}/api/v2/tenants/default_tenant/databases/default_database/collections"
        wrong = ({}, {"X-Chroma-Token": "guess"}, {"Authorization": f"Bearer {server.token}"})
        for headers in wrong:
            assert requests.get(collections, headers=headers, timeout=10).status_code == 403
            assert requests.delete(f"{collections}/acme-private", headers=headers,
                                   timeout=10).status_code == 403
        host, port = url.removeprefix("http://").split(":")
        with pytest.raises(Exception, match="(?i)forbidden|auth"):
            chromadb.HttpClient(host=host, port=int(port)).list_collections()
        assert requests.get(f"{url}/api/v2/heartbeat", timeout=10).ok  # health checks stay open
        assert collections_at(server) == ["acme-private"]
    finally:
        server.stop()

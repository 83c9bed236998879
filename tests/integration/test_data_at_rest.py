"""What ``dia3 up`` leaves on disk and in its output: the data directory (the embedded
Redis' append-only file with every param and result, result files, ``chroma.sqlite3``, the
local secrets) is 0700 with 0600 files, and output redirected to a log holds no secret."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_for
from tests.integration.test_cli_runtime import ready_client, start_up, stop_up


def modes(root: Path) -> dict[Path, int]:
    """Permission bits of the directory and of everything under it."""
    found = {}
    for path in [root, *root.rglob("*")]:
        try:
            found[path] = stat.S_IMODE(path.lstat().st_mode)
        except FileNotFoundError:  # a temporary file that went away meanwhile
            continue
    return found


@pytest.mark.timeout(400)
def test_dia3_up_keeps_its_data_private_and_its_secrets_out_of_its_output(tmp_path):
    data_dir, port, log = tmp_path / "d", free_port(), tmp_path / "up.log"
    data_dir.mkdir()
    data_dir.chmod(0o755)  # as an older version (or a umask of 022) left it
    proc = start_up(data_dir, port, log, DIA3_RESULT_INLINE_MAX_BYTES="1024")
    try:
        client = ready_client(proc, data_dir, port, log)
        job = client.submit("sentiment", {"texts": [f"great day number {i}" for i in range(40)]})
        assert client.wait(job["id"], timeout=120)["state"] == "succeeded"
        assert client.job(job["id"])["result_ref"]["kind"] == "file"
        client.create_collection("notes", embedder="hashing")
        (tmp_path / "note.txt").write_text("Tides turn the sea into electricity.")
        ingest = client.upload_documents("notes", [tmp_path / "note.txt"])
        assert client.wait(ingest["id"], timeout=120)["state"] == "succeeded"
        wait_for(lambda: "DIA3 is up" in log.read_text(), timeout=120,
                 what="dia3 up to start Flower, the dashboard and the MCP server")
        found = modes(data_dir)
    finally:
        assert stop_up(proc) == []
    names = {path.name for path in found}
    assert {"local-api-key", "flower-password", "chroma-token", "chroma.sqlite3"} <= names
    assert any(path.suffix == ".json" and "results" in path.parts for path in found)
    assert any("appendonly" in name for name in names)  # the embedded Redis' AOF
    open_to_others = {str(path): oct(mode) for path, mode in found.items() if mode & 0o077}
    assert open_to_others == {}
    assert found[data_dir] == 0o700

    output = log.read_text()
    assert "DIA3 is up" in output
    for secret in ("local-api-key", "flower-password"):  # the Chroma token is never shown
        assert (data_dir / secret).read_text().strip() not in output, secret
        assert str(data_dir.resolve() / secret) in output  # where to find it instead


def files_holding(root: Path, needle: bytes) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*")
                  if path.is_file() and needle in path.read_bytes())


@pytest.mark.timeout(400)
def test_with_a_master_key_nothing_on_disk_holds_a_planted_text(tmp_path):
    """Job params, step outputs, results in Redis and in files, staged uploads, step messages
    and document texts in Chroma are sealed: the embedded Redis' append-only file and
    snapshot, the result files and Chroma's database hold no plaintext of a planted text,
    while the API gives it back to its tenant."""
    import base64
    import os
    data_dir, port, log = tmp_path / "d", free_port(), tmp_path / "up.log"
    planted = f"zebra{os.urandom(8).hex()}"
    key = base64.b64encode(os.urandom(32)).decode()
    proc = start_up(data_dir, port, log, DIA3_RESULT_INLINE_MAX_BYTES="1024",
                    DIA3_ENCRYPTION_KEY=key)
    try:
        client = ready_client(proc, data_dir, port, log)
        # the ids come back in the results, so results hold the planted text too
        big = client.submit("sentiment", {"texts": [f"great {planted} {i}" for i in range(40)],
                                          "ids": [f"{planted}-{i}" for i in range(40)]})
        small = client.submit("sentiment", {"texts": [f"awful {planted}"],
                                            "ids": [f"{planted}-small"]})
        assert client.wait(big["id"], timeout=120)["state"] == "succeeded"
        assert client.wait(small["id"], timeout=120)["state"] == "succeeded"
        assert client.job(big["id"])["result_ref"]["kind"] == "file"
        assert client.job(small["id"])["result_ref"]["kind"] == "redis"
        assert planted in json.dumps(client.result(small["id"]))
        assert planted in json.dumps(client.result(big["id"]))
        assert client.job(big["id"])["params"]["texts"][0] == f"great {planted} 0"
        client.create_collection("notes", embedder="hashing")
        (tmp_path / "note.txt").write_text(f"Tides turn the sea into {planted}.")
        ingest = client.upload_documents("notes", [tmp_path / "note.txt"])
        assert client.wait(ingest["id"], timeout=120)["state"] == "succeeded"
        hits = client.search("notes", "tides and the sea")["hits"]
        assert planted in hits[0]["text"]
        redis_files = [p for p in data_dir.rglob("*") if "appendonly" in p.name]
        assert redis_files  # the scan below reads real Redis files
    finally:
        assert stop_up(proc) == []  # Redis saves its snapshot as it stops
    assert (data_dir / "chroma" / "chroma.sqlite3").exists()
    assert any("results" in path.parts for path in data_dir.rglob("*.json"))
    assert files_holding(data_dir, planted.encode()) == []
    assert files_holding(data_dir, b"Tides turn") == []
    assert key.encode() not in log.read_bytes()

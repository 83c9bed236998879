"""What ``dia3 up`` leaves on disk and in its output: the data directory (the embedded
Redis' append-only file with every param and result, result files, ``chroma.sqlite3``, the
local secrets) is 0700 with 0600 files, and output redirected to a log holds no secret."""

from __future__ import annotations

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

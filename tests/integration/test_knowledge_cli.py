"""``dia3 ingest`` and ``dia3 search`` against a real API server and the session's worker."""

from tests.unit.knowledge.pdf_maker import make_pdf


def test_ingest_files_and_folders_then_search(dia3, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "volcano.md").write_text(
        "# Volcanoes\n\nMagma rises through the crust and erupts as lava.")
    (tmp_path / "notes" / "ignored.png").write_bytes(b"\x89PNG")
    (tmp_path / "tides.pdf").write_bytes(make_pdf([["Tidal power turns sea level changes "
                                                    "into electricity."]], title="Tides"))
    ingested = dia3("ingest", str(tmp_path / "notes"), str(tmp_path / "tides.pdf"),
                    "--collection", "handbook", "--metadata", '{"team": "science"}', "--wait")
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    out = ingested.stdout
    assert "created collection handbook (hashing:256)" in out
    assert "2 of 2 documents ingested" in out and "volcano.md" in out and "ignored" not in out

    found = dia3("search", "handbook", "electricity from the sea", "-k", "1")
    assert found.returncode == 0, found.stderr
    assert "Tides" in found.stdout and "1 hits in handbook" in found.stdout

    filtered = dia3("search", "handbook", "lava", "--where", '{"team": "nobody"}')
    assert filtered.returncode == 0 and "0 hits" in filtered.stdout


def test_failed_documents_are_reported_and_set_the_exit_code(dia3, tmp_path):
    (tmp_path / "good.txt").write_text("A perfectly readable note about sourdough starters.")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    result = dia3("ingest", str(tmp_path / "good.txt"), str(tmp_path / "broken.pdf"),
                  "--collection", "mixed", "--wait")
    assert result.returncode == 1
    assert "1 of 2 documents ingested" in result.stdout and "corrupt" in result.stdout


def test_missing_collections_and_bad_options_are_errors(dia3, tmp_path):
    (tmp_path / "a.txt").write_text("text")
    refused = dia3("ingest", str(tmp_path / "a.txt"), "--collection", "absent", "--no-create")
    assert refused.returncode != 0 and "404" in refused.stderr
    missing = dia3("search", "absent", "anything")
    assert missing.returncode != 0 and "404" in missing.stderr
    bad = dia3("search", "absent", "anything", "--where", "[1]")
    assert bad.returncode == 2 and "JSON object" in bad.stderr

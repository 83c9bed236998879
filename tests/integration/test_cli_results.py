"""``dia3 submit … --wait`` and ``dia3 jobs show`` against a real API server and the session's
worker: every workflow's result as a readable summary (whatever its size), the whole of it
with --json and --output, and params files that are not JSON named with line and column."""

from __future__ import annotations

import json
import math
import re

import pytest

from tests.shared_fixtures import shared_fixture
from tests.youtube_scenarios import SUCCESS

UNROUNDED = re.compile(r"\d\.\d{6,}")  # how a raw dump of floats shows itself
TOPICS = ["solar farms", "wind turbines", "battery storage", "grid upgrades", "hydrogen",
          "heat pumps", "nuclear plants", "carbon capture"]


def essay(topic: str) -> str:
    """A document of about 1,300 characters on ``topic``, with sentiment either way."""
    return " ".join(
        f"Investment in {topic} grew strongly in region {n}, and analysts praise the rapid "
        f"progress. However, rising costs and supply shortages threaten {topic} projects "
        f"there, and regulators warn of delays." for n in range(1, 6))


@pytest.fixture
def params_file(tmp_path):
    def write(params: dict, name: str = "params.json") -> str:
        path = tmp_path / name
        path.write_text(json.dumps(params))
        return str(path)
    return write


@pytest.fixture
def collection(dia3, tmp_path) -> str:
    """A collection of the tenant with eight long documents, ingested with the CLI."""
    folder = tmp_path / "energy"
    folder.mkdir()
    for topic in TOPICS:
        (folder / f"{topic.replace(' ', '-')}.txt").write_text(essay(topic))
    done = dia3("ingest", str(folder), "--collection", "energy", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 of 8 documents ingested" in done.stdout and "Ingested into energy" in done.stdout
    return "energy"


def submit(dia3, params_file, workflow: str, params: dict, *extra: str):
    done = dia3("submit", workflow, "--params-file", params_file(params), "--wait", *extra)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return done


def whole(dia3, job_id: str) -> dict:
    shown = dia3("jobs", "show", job_id, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def submitted_id(done) -> str:
    return re.search(r"submitted job ([0-9a-f]{32})", done.stdout + done.stderr).group(1)


def test_sentiment_quotes_the_texts_and_never_one_on_both_sides(dia3, params_file):
    done = dia3("submit", "sentiment", "--text", "I love it", "--text", "Awful", "--wait")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Sentiment of 2 texts" in out
    negative, positive = out.split("Most negative")[1].split("Most positive")
    assert "Awful" in negative and "I love it" not in negative
    assert "I love it" in positive and "Awful" not in positive
    happy = submit(dia3, params_file, "sentiment", {
        "texts": ["What a wonderful, delightful day " * 8, "Great food", "Lovely staff"],
        "ids": ["r1", "r2", "r3"]}).stdout
    assert "Most negative: none" in happy
    assert "What a wonderful, delightful day What a" in happy and "…" in happy  # shortened
    assert "r1" in happy.split("Most positive")[1]  # given ids are shown next to the texts


def test_markup_and_control_characters_in_texts_are_shown_inert(dia3, params_file):
    """A text that looks like Rich markup is printed as typed; its escape sequences are not
    written at all (the output is piped, so DIA3 itself writes none)."""
    hostile = ["[bold red]awful[/] terrible [link=http://evil.test]x[/link] :smile:",
               "great \x1b]0;owned\x07 lovely \x1b[2J wonderful"]
    out = submit(dia3, params_file, "sentiment", {"texts": hostile}).stdout
    assert "[bold red]awful[/] terrible [link=http://evil.test]x[/link] :smile:" in out
    assert "\x1b" not in out and "\x07" not in out
    assert "great ]0;owned lovely [2J wonderful" in out


def test_forecast_is_a_table_of_rounded_numbers(dia3, params_file):
    series = [{"name": name, "values": [100 + scale * t + 12 * math.sin(2 * math.pi * t / 12)
                                        for t in range(60)]}
              for name, scale in (("sales", 0.8), ("costs", 0.3))]
    done = submit(dia3, params_file, "forecast", {"series": series, "horizon": 12,
                                                  "frequency": "M", "levels": [80, 95]})
    out = done.stdout
    assert "Forecast of 2 series" in out and "95% interval" in out
    assert "sales" in out and "costs" in out and "sMAPE" in out and "MASE" in out
    assert not UNROUNDED.search(out), out
    assert len(out.splitlines()) < 30, out
    result = whole(dia3, submitted_id(done))["result"]
    assert len(result["series"][0]["forecast"]) == 12  # --json: all of it, unrounded
    first = f"{result['series'][0]['forecast'][0]:.1f}"
    assert first in out


def test_scenario_forecast_shows_its_fan_chart_and_thresholds(dia3, params_file):
    values = [100 + 0.8 * t + 12 * math.sin(2 * math.pi * t / 12) for t in range(60)]
    out = submit(dia3, params_file, "scenario_forecast", {
        "series": {"values": values, "horizon": 6, "frequency": "M"}, "n_paths": 2000,
        "seed": 11, "thresholds": [150]}).stdout
    assert "Fan chart" in out and "p50" in out and "P(ever above)" in out and "150" in out
    assert not UNROUNDED.search(out), out


def test_a_large_monte_carlo_result_is_summarised_and_whole_in_json(dia3, params_file, tmp_path):
    done = submit(dia3, params_file, "monte_carlo", {
        "model": "gbm", "n_simulations": 20000, "seed": 3, "sample_paths": 50,
        "thresholds": [90, 120], "path_crossing": True,
        "params": {"s0": 100, "drift": 0.05, "volatility": 0.2, "horizon": 1, "steps": 100}},
        "--output", str(tmp_path / "mc.json"))
    out = done.stdout
    assert "Monte Carlo (gbm)" in out and "Value at risk" in out and "Quantiles" in out
    assert "Thresholds" in out and "P(ever above)" in out
    assert not UNROUNDED.search(out), out
    saved = json.loads((tmp_path / "mc.json").read_text())
    assert len(json.dumps(saved["result"])) > 20_000  # larger than the CLI used to cut at
    assert len(saved["result"]["sample_paths"]["paths"]) == 50
    assert saved == whole(dia3, saved["id"])


def test_the_strategic_report_is_rendered_markdown(dia3, params_file, collection, tmp_path):
    done = submit(dia3, params_file, "strategic_analysis", {
        "question": "Should we invest in storage?", "collection": collection,
        "backend": "local", "k": 8})
    out = done.stdout
    assert "Strategic analysis: Should we invest in storage?" in out
    assert "Executive summary" in out and "SWOT" in out and "Key risks" in out
    assert "## " not in out and "<a id=" not in out and "**" not in out  # rendered, not raw
    assert "LLM usage:" in out
    job_id = submitted_id(done)
    document = whole(dia3, job_id[:8])
    assert len(json.dumps(document["result"])) > 20_000
    report = tmp_path / "report.md"
    assert dia3("jobs", "show", job_id[:8], "--output", str(report)).returncode == 0
    # the Markdown escapes its text (app/reports/markup.py): the name renders as written
    assert report.read_text().startswith(f"# strategic\\_analysis job {job_id}")
    assert "## Executive summary" in report.read_text()


def test_summarize_ingest_youtube_and_smoke_have_their_summaries(dia3, params_file, collection):
    shared_fixture("youtube", "assets", "youtube.innertube.json.static")  # replayed below
    summary = submit(dia3, params_file, "summarize", {"text": essay("wind turbines"),
                                                      "max_points": 3}).stdout
    assert "Summary" in summary and "Key points" in summary and "Keywords:" in summary
    ingested = submit(dia3, params_file, "ingest", {"collection": collection, "documents": [
        {"text": "Tidal power turns sea level changes into electricity.", "title": "Tides"}]})
    assert "Ingested into energy" in ingested.stdout and "1 of 1 documents" in ingested.stdout
    video = submit(dia3, params_file, "youtube", {"video": SUCCESS, "collection": collection})
    assert f"YouTube video {SUCCESS}" in video.stdout and "Sentiment over time" in video.stdout
    assert "[0:0" in video.stdout  # summary sentences with their time in the video
    smoke = submit(dia3, params_file, "smoke", {"start": 41}).stdout
    assert "Smoke test" in smoke and "43" in smoke  # two steps add one each
    for done in (summary, ingested.stdout, video.stdout, smoke):
        assert "{" not in done  # summaries, not JSON


def test_json_prints_only_json(dia3, params_file):
    done = dia3("submit", "smoke", "--params-file", params_file({"start": 1}), "--wait",
                "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["state"] == "succeeded" and document["result"] == {"value": 3}
    assert "submitted job" in done.stderr  # the messages went to stderr


@pytest.mark.parametrize("content,message", [
    ('{"texts": ["good",\n  "bad" "x"]}', "line 2, column 9: Expecting ',' delimiter"),
    ("", "is empty"),
    ('["a list"]', "must hold a JSON object"),
    ('{"texts": [NaN]}', "NaN is not valid JSON"),
])
def test_a_params_file_that_is_not_a_json_object_is_named_with_its_line(dia3, tmp_path,
                                                                       content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    done = dia3("submit", "sentiment", "--params-file", str(path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert str(path) in done.stderr and message in done.stderr, done.stderr


def test_unreadable_params_files_are_clear_errors(dia3, tmp_path):
    missing = dia3("submit", "sentiment", "--params-file", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    folder = dia3("submit", "sentiment", "--params-file", str(tmp_path))
    assert folder.returncode == 2 and "is a directory" in folder.stderr
    binary = tmp_path / "data.bin"
    binary.write_bytes(b"\xff\xfe{}")
    not_text = dia3("submit", "sentiment", "--params-file", str(binary))
    assert not_text.returncode == 1 and "not UTF-8 text" in not_text.stderr
    assert "Traceback" not in missing.stderr + folder.stderr + not_text.stderr
    inline = dia3("search", "energy", "x", "--where", '{"team": }')
    assert inline.returncode == 2 and "line 1, column 10" in inline.stderr

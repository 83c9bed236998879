"""Job reports (MCP resources, the dashboard's Markdown download) with hostile values in every
field a user, a document or a model fills: each stays text in its place."""

import pytest

from app.reports import job_markdown
from tests.markup_probe import HOSTILE, assert_inert, flat

JOB = {"id": "0123456789abcdef", "workflow": "demo", "state": "succeeded",
       "created_at": 1714557600.0, "started_at": 1714557601.0, "finished_at": 1714557603.5,
       "progress": {"done": 2, "total": 2}}
LEGACY = ('# Strategic analysis: <iframe srcdoc="<script>parent.__x=1</script>"></iframe>\n\n'
          "See [[1]](#evidence-1) ![p](http://evil.invalid/p.png)\n\n"
          '<a id="evidence-1"></a>**[1]** <img src=x onerror="window.__x=2">')

RESULTS = {
    "sentiment": ({"count": 2, "mean": 0.1, "counts": {"negative": 1, "positive": 1},
                   "items": [{"id": HOSTILE, "compound": -0.5}, {"id": "b", "compound": 0.7}],
                   "trend": {"bucket": HOSTILE, "points": [
                       {"start": HOSTILE, "count": 2, "mean": 0.1}]}}, 3),
    "forecast": ({"series": [{"name": HOSTILE, "model": HOSTILE, "forecast": [1.0, 2.0],
                              "timestamps": [HOSTILE, "2024-02"],
                              "intervals": {"80": {"lower": [0.5, 1.0],
                                                   "upper": [1.5, 3.0]}}}]}, 3),
    "monte_carlo": ({"histogram": {"edges": [0, 1], "counts": [1]}, "model": HOSTILE,
                     "quantiles": {HOSTILE: 1.0},
                     "risk": {"levels": {"95": {"var": 1.0, "cvar": 2.0}},
                              "convention": HOSTILE}}, 3),
    "youtube": ({"video_id": "abc123def45", "url": HOSTILE,
                 "sentiment": {"count": 1, "mean": 0.1, "points": [
                     {"start": 0, "end": 60, "mean": 0.1, "label": HOSTILE}]},
                 "summary": [{"text": HOSTILE, "start": 3}]}, 3),
    "report": ({"report": HOSTILE, "citations": []}, 1),
}


@pytest.mark.parametrize("kind", RESULTS)
def test_every_hostile_field_of_a_known_shape_stays_text(kind):
    result, fields = RESULTS[kind]
    out = assert_inert(job_markdown(JOB, result))
    tags = [tag for tag, _ in out.tags]
    assert tags.count("h1") == 1 and "pre" not in tags
    assert tags.count("li") == (1 if kind == "youtube" else 0)  # its summary line
    assert flat(out.text).count(flat(HOSTILE)) == fields


def test_hostile_values_stay_in_their_table_cells():
    result, _ = RESULTS["sentiment"]
    out = assert_inert(job_markdown(JOB, result))
    # job table 6 rows + header, labels 2 + header, trend 1 + header, extremes: the one
    # negative and the one positive text, each listed once, + header
    assert [tag for tag, _ in out.tags].count("tr") == 7 + 3 + 2 + 3


def test_a_job_error_and_its_names_stay_text():
    job = {**JOB, "workflow": HOSTILE, "state": "failed",
           "error": {"type": HOSTILE, "message": HOSTILE, "step": "batch `00001`"}}
    out = assert_inert(job_markdown(job))
    assert flat(out.text).count(flat(HOSTILE)) == 3
    assert "in step batch `00001`:" in out.text


def test_a_strategic_report_stored_before_escaping_is_served_inert_with_its_anchors():
    out = assert_inert(job_markdown(JOB, {"report": {}, "markdown": LEGACY}))
    assert {"id": "evidence-1"} in out.named("a") and {"href": "#evidence-1"} in out.named("a")
    assert '<iframe srcdoc="<script>' in out.text


def test_json_results_stay_inside_their_code_block():
    out = assert_inert(job_markdown(JOB, {"note": "```\n" + HOSTILE, "``": 1}))
    tags = [tag for tag, _ in out.tags]
    assert tags.count("pre") == 1 and tags[-2:] == ["pre", "code"]
    assert "<script>window.__x=4</script>" in out.text

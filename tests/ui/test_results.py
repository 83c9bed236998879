"""Which picture a result gets, checked on real engine outputs: sentiment charts, Monte Carlo
histogram with VaR and fan chart, forecast with intervals, JSON for unknown shapes; and the
Markdown report that the dashboard downloads and the MCP server serves."""

from __future__ import annotations

import json
import math

import pytest
from streamlit.testing.v1 import AppTest

from app.reports import job_markdown, result_kind
from tests.markup_probe import HOSTILE, assert_inert, flat
from workers.forecast.engine import forecast_series
from workers.monte_carlo.engine import simulate, validate_spec

JOB = {"id": "0123456789abcdef", "workflow": "demo", "state": "succeeded",
       "created_at": "2024-05-01T10:00:00+00:00", "started_at": "2024-05-01T10:00:01+00:00",
       "finished_at": "2024-05-01T10:00:03.500000+00:00",
       "progress": {"done": 2, "total": 2, "fraction": 1.0}}


@pytest.fixture(scope="module")
def monte_carlo() -> dict:
    return simulate(validate_spec({
        "model": "gbm", "n_simulations": 2000, "seed": 7,
        "params": {"s0": 100, "drift": 0.05, "volatility": 0.2, "horizon": 1, "steps": 20}}))


@pytest.fixture(scope="module")
def forecast() -> dict:
    series = forecast_series({"values": [float(v) for v in range(1, 25)], "horizon": 4})
    return {"series": [{"name": "sales", **series}], "count": 1}


SENTIMENT = {"count": 3, "mean": 0.1, "counts": {"negative": 1, "neutral": 1, "positive": 1},
             "items": [{"id": "a", "compound": -0.6, "label": "negative"},
                       {"id": "b", "compound": 0.0, "label": "neutral"},
                       {"id": "c", "compound": 0.9, "label": "positive"}],
             "trend": {"bucket": "day", "points": [
                 {"start": "2024-01-01T00:00:00+00:00", "count": 2, "mean": -0.3},
                 {"start": "2024-01-02T00:00:00+00:00", "count": 1, "mean": 0.9}]}}


YOUTUBE = {"video_id": "abc123def45", "url": "https://www.youtube.com/watch?v=abc123def45",
           "duration_seconds": 300.0, "sentiment": {
               "count": 40, "mean": 0.12, "window_seconds": 60, "points": [
                   {"start": 0, "end": 60, "count": 10, "mean": 0.4, "label": "positive"},
                   {"start": 60, "end": 120, "count": 12, "mean": -0.2, "label": "negative"}]},
           "summary": [{"text": "The battery lasts two days.", "start": 75.2, "end": 79.0,
                        "score": 0.3, "position": 12}]}


def test_known_shapes_are_recognised_by_their_fields(monte_carlo, forecast):
    assert result_kind(SENTIMENT) == "sentiment"
    assert result_kind(monte_carlo) == "monte_carlo"
    assert result_kind(forecast) == "forecast"
    assert result_kind(forecast["series"][0]) == "forecast"
    assert result_kind({"report": "# Findings", "citations": []}) == "report"
    assert result_kind({"report": {"swot": {}}, "markdown": "# Strategic"}) == "report"
    assert result_kind(YOUTUBE) == "youtube"
    assert result_kind({"value": 3}) == result_kind([1, 2]) == "json"


def render(job: dict, result) -> None:
    import streamlit as st

    from ui.dashboard import results
    st.session_state["kind"] = results.render(job, result)


def rendered(result) -> AppTest:
    at = AppTest.from_function(render, kwargs={"job": JOB, "result": result},
                               default_timeout=20).run()
    assert not at.exception
    return at


def chart_specs(at: AppTest) -> list[str]:
    return [c.proto.spec for c in at.get("vega_lite_chart")]


def marks(spec: str) -> list[str]:
    """Mark types of a (layered) chart, in layer order."""
    layers = json.loads(spec).get("layer") or [json.loads(spec)]
    return [layer["mark"]["type"] for layer in layers]


def test_sentiment_gets_label_distribution_score_histogram_and_trend():
    at = rendered(SENTIMENT)
    specs = chart_specs(at)
    assert len(specs) == 3
    assert "Texts per label" in specs[0] and "#d62728" in specs[0]
    assert "Mean sentiment per day" in specs[2]
    assert [m.value for m in at.metric][:2] == ["3", "+0.100"]


def test_monte_carlo_gets_histogram_with_var_rules_and_fan_chart(monte_carlo):
    at = rendered(monte_carlo)
    histogram, fan = chart_specs(at)
    assert "Distribution of outcomes" in histogram
    assert marks(histogram) == ["bar", "rule", "text"]  # the rules and labels mark VaR levels
    assert "Fan chart of simulated paths" in fan
    assert marks(fan) == ["area", "area", "line"]  # p5–p95, p25–p75, median
    assert at.metric[3].label == "VaR 99%"


def test_forecast_gets_its_prediction_intervals(forecast):
    at = rendered(forecast)
    [spec] = chart_specs(at)
    assert "Forecast (" in spec
    assert marks(spec) == ["area", "area", "line"]  # 95 % and 80 % intervals, then the lines
    assert '"y2": {"field": "upper"' in spec


def test_unknown_shapes_are_shown_as_json_and_every_result_downloads():
    at = rendered({"answer": 42, "nested": {"list": [1, 2]}})
    assert at.session_state["kind"] == "json"
    assert not at.get("vega_lite_chart")
    assert json.loads(at.json[0].value) == {"answer": 42, "nested": {"list": [1, 2]}}
    assert [d.proto.label for d in at.get("download_button")] == ["Download JSON",
                                                                   "Download Markdown"]


def test_markdown_report_summarises_known_shapes_and_the_job(monte_carlo, forecast):
    text = job_markdown(JOB, monte_carlo)
    assert text.startswith("# demo job 0123456789abcdef")
    assert "| duration (s) | 2.5 |" in text
    assert "### Value at risk" in text and "| 95 |" in text
    text = job_markdown(JOB, forecast)
    assert "### sales" in text and "lower 80%" in text and "upper 95%" in text
    text = job_markdown({**JOB, "state": "failed", "error": {
        "type": "WorkerLost", "message": "no heartbeat", "step": "batch-00001"}})
    assert "**WorkerLost** in step `batch-00001`: no heartbeat" in text
    assert "```json" in job_markdown(JOB, {"answer": 42})


def test_youtube_gets_sentiment_over_video_time_and_timed_summary_links():
    at = rendered(YOUTUBE)
    [spec] = chart_specs(at)
    assert "Sentiment over the video" in spec and "video time (minutes)" in spec
    assert any("[1:15](https://www.youtube.com/watch?v=abc123def45&t=75s)" in m.value
               for m in at.markdown)
    assert "| 60 | 120 | -0.200 | negative |" in job_markdown(JOB, YOUTUBE)


def test_strategic_report_renders_its_markdown_with_citation_anchors():
    result = {"report": {"swot": {}},
              "markdown": "# Strategic analysis: Q\n\nSee [[1]](#evidence-1)"
                          "\n\n<a id=\"evidence-1\"></a>**[1]** source"}
    at = rendered(result)
    assert at.session_state["kind"] == "report"
    assert any("#evidence-1" in m.value for m in at.markdown)


def shown(at: AppTest) -> list[str]:
    """The Markdown source of every element that renders Markdown."""
    return [e.value for e in [*at.markdown, *at.caption, *at.error]]


def assert_all_inert(at: AppTest, hostile_fields: int) -> None:
    sources = shown(at)
    texts = [flat(assert_inert(source, links=("https://",)).text) for source in sources]
    assert " ".join(texts).count(flat(HOSTILE)) == hostile_fields, sources


def test_hostile_series_names_notes_and_video_texts_are_shown_as_text(forecast):
    at = rendered({"series": [{**forecast["series"][0], "name": HOSTILE, "notes": [HOSTILE]}]})
    assert_all_inert(at, 2)
    at = rendered({**YOUTUBE, "summary": [{"text": HOSTILE, "start": 3}]})
    assert_all_inert(at, 1)
    assert "[0:03](https://www.youtube.com/watch?v=abc123def45&t=3s)" in shown(at)[0]
    at = rendered({**YOUTUBE, "url": "javascript:window.__x=1", "summary": [
        {"text": "fine", "start": 3}]})
    assert shown(at) == ["- 0:03 fine"]


def test_a_report_and_its_citations_from_a_model_are_shown_as_text():
    at = rendered({"report": HOSTILE, "citations": [
        HOSTILE, {"title": HOSTILE, "url": "javascript:window.__x=1", "text": HOSTILE},
        {"title": "EU", "url": "https://eur-lex.europa.eu/x", "text": "fines"}]})
    assert at.session_state["kind"] == "report"
    assert_all_inert(at, 4)
    assert "3. [EU](https://eur-lex.europa.eu/x) — fines" in shown(at)


def test_a_strategic_report_stored_before_escaping_keeps_only_its_anchors():
    legacy = ('# Strategic analysis: <iframe srcdoc="<script>parent.__x=1</script>"></iframe>'
              "\n\nSee [[1]](#evidence-1) ![p](http://evil.invalid/p.png)\n\n"
              '<a id="evidence-1"></a>**[1]** <img src=x onerror="window.__x=2">')
    at = rendered({"report": {}, "markdown": legacy})
    [source] = shown(at)
    out = assert_inert(source)
    assert {"id": "evidence-1"} in out.named("a")
    assert "<iframe srcdoc=" in out.text


def show_problems(message: str) -> None:
    from app.client import APIError
    from ui.dashboard import job_view, session

    def refuse():
        raise APIError(404, {"message": message})
    job_view.error({"error": {"type": message, "message": message, "step": message}})
    session.call(refuse)


def test_error_messages_from_jobs_and_the_api_are_shown_as_text():
    at = AppTest.from_function(show_problems, kwargs={"message": HOSTILE},
                               default_timeout=20).run()
    assert not at.exception and len(at.error) == 2
    assert_all_inert(at, 4)


TEXTS = ["I love it", "Awful, broken", "It is a box", "Wonderful and great", "Bad", "Nice"]


def scored(texts: list[str]) -> dict:
    from workers.sentiment.engine.vader import build_items, label, score_texts
    items = build_items(score_texts(texts), [f"r{i}" for i in range(len(texts))])
    counts = {name: sum(i["label"] == name for i in items)
              for name in ("negative", "neutral", "positive")}
    assert label(0.0) == "neutral"
    return {"count": len(items), "mean": 0.0, "counts": counts, "items": items}


def test_sentiment_extremes_list_each_text_once_with_the_text_itself():
    result = scored(TEXTS)
    at = AppTest.from_function(render, kwargs={"job": {**JOB, "params": {"texts": TEXTS}},
                                               "result": result}, default_timeout=20).run()
    [table] = at.table
    frame = table.value
    assert list(frame.columns) == ["id", "compound", "label", "text"]
    assert len(set(frame["id"])) == len(frame) == 5  # 2 negative, 3 positive; neutral left out
    assert [TEXTS[int(i[1:])] for i in frame["id"]] == list(frame["text"])
    assert list(frame.index) == ["most negative"] * 2 + ["most positive"] * 3


def test_hostile_texts_in_the_extremes_table_stay_text():
    texts = [f"awful {HOSTILE}", "great"]
    at = AppTest.from_function(render, kwargs={"job": {**JOB, "params": {"texts": texts}},
                                               "result": scored(texts)},
                               default_timeout=20).run()
    cell = at.table[0].value["text"].iloc[0]  # cut to 300 characters, all of them text
    shown = flat(assert_inert(cell).text)
    assert shown.endswith("…") and flat(f"awful {HOSTILE}").startswith(shown[:-1])


def test_quantiles_are_listed_in_numeric_order(monte_carlo):
    shuffled = dict(sorted(monte_carlo["quantiles"].items()))  # p1, p10, p25, p5, p50, …
    at = rendered({**monte_carlo, "quantiles": shuffled})
    frame = at.table[0].value
    assert list(frame.index) == ["p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99"]


def test_a_forecast_chart_draws_the_observed_history_from_the_params(forecast):
    from ui.dashboard import charts, results
    values = [float(v) for v in range(1, 25)]
    [history] = results.observed_history({"series": [{"name": "sales", "values": values}]}, 1)
    spec = charts.forecast_chart(forecast["series"][0], history).to_dict()
    [rows] = [rows for rows in spec["datasets"].values() if rows and "kind" in rows[0]]
    observed = [r for r in rows if r.get("kind") == "observed"]
    assert [r["value"] for r in observed] == values
    first = min(r["t"] for r in rows if r.get("kind") == "forecast")
    assert first == len(values)  # the forecast starts after the last observation


def test_citations_dropped_from_a_report_are_listed_with_it():
    problems = [{"path": "report.swot.strengths.0.evidence_ids", "id": "E99",
                 "problem": "not retrieved"}, {"path": "critique", "id": HOSTILE,
                                               "problem": "not retrieved"}]
    at = rendered({"report": {}, "markdown": "# Strategic analysis: Q",
                   "citation_problems": problems})
    assert "2 citation(s) were dropped" in at.warning[0].value
    frame = at.table[0].value
    assert list(frame["cited id"])[0] == "E99"
    assert flat(HOSTILE) in flat(assert_inert(list(frame["cited id"])[1]).text)


def test_steps_of_an_ended_job_keep_their_duration_and_pending_ones_show_a_dash():
    from ui.dashboard.job_view import steps_frame
    job = {**JOB, "state": "failed", "finished_at": 1000.0,
           "tasks": {"a": "t-a", "b": "t-b", "c": "t-c", "d": "t-d"},
           "steps": {"a": {"state": "done", "started_at": 900.0, "runtime": 1.5},
                     "b": {"state": "failed", "started_at": 901.0, "finished_at": 903.25},
                     "c": {"state": "running", "started_at": 902.0},  # stored before
                     "d": {"state": "not_run", "starts": 0}}}
    frame = steps_frame(job).set_index("step")
    assert frame["seconds"].to_dict() == {"a": "1.500", "b": "2.250", "c": "98.000", "d": "–"}
    assert frame.loc["d", "state"] == "not_run" and frame.loc["d", "started"] == ""


ANOMALY_VALUES = [50.0 + (i % 7) * 0.5 + (30.0 if i == 60 else 0.0) + (12.0 if i >= 100 else 0.0)
                  for i in range(160)]


@pytest.fixture(scope="module")
def anomaly() -> dict:
    from workers.anomaly.engine import detect_series
    found = detect_series({"values": ANOMALY_VALUES, "timestamps": None, "mode": "batch",
                           "season_length": None, "sensitivity": 0.5})
    return {"series": [{"name": "latency", **found}], "count": 1,
            "anomalies": len(found["anomalies"])}


def test_anomalies_are_marked_on_the_series_from_the_params(anomaly):
    from ui.dashboard import charts, results
    series = anomaly["series"][0]
    assert result_kind(anomaly) == "anomaly"
    assert {a["index"]: a["kind"] for a in series["anomalies"]}[60] == "spike"
    assert [c["index"] for c in series["change_points"]] == [100]
    [history] = results.observed_history({"series": [{"values": ANOMALY_VALUES}]}, 1)
    spec = charts.anomaly_chart(series, history).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "point", "rule"]
    rows = {key: rows for key, rows in spec["datasets"].items()}
    points = [r for data in rows.values() for r in data if "kind" in r and "value" in r]
    assert {(p["t"], p["value"], p["kind"]) for p in points} >= {(60, ANOMALY_VALUES[60],
                                                                  "spike")}
    # without the values (params not at hand) the scores are the line
    spec = charts.anomaly_chart(series, None).to_dict()
    line = [r for data in spec["datasets"].values() for r in data if "kind" not in r]
    assert len(line) == len(ANOMALY_VALUES) and "score" in line[0]


def test_an_anomaly_result_gets_its_chart_table_and_report(anomaly):
    at = rendered(anomaly)
    assert at.session_state["kind"] == "anomaly"
    [spec] = chart_specs(at)
    assert "Anomalies (" in spec and marks(spec) == ["line", "point", "rule"]
    assert 60 in list(at.dataframe[0].value["index"])
    text = job_markdown(JOB, anomaly)
    assert "### latency (batch)" in text and "| 60 |" in text and "spike" in text


def anomaly_marks(spec: dict) -> list[dict]:
    """The rows drawn as anomaly points: those with a kind and a score."""
    return [r for rows in spec["datasets"].values() for r in rows
            if "score" in r and r.get("kind") in {"spike", "level_shift", "variance_change"}]


def test_a_sentiment_trends_anomalies_are_marked_on_it():
    from ui.dashboard import charts
    points = [{"start": f"2024-01-{d:02d}T00:00:00+00:00", "count": 3, "mean": 0.2}
              for d in range(1, 21)]
    points[12]["mean"] = -0.8
    result = {**SENTIMENT, "trend": {"bucket": "day", "points": points, "anomalies": [
        {"index": 12, "timestamp": points[12]["start"], "score": 0.99, "kind": "spike"}]}}
    spec = charts.sentiment_trend(result).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]][-1] == "point"
    [mark] = anomaly_marks(spec)
    assert (mark["mean"], mark["kind"]) == (-0.8, "spike")
    assert mark["start"].startswith("2024-01-13")
    at = rendered(result)
    assert "Mean sentiment per day" in chart_specs(at)[2]
    assert marks(chart_specs(at)[2])[-1] == "point"
    # a result stored before trends carried anomalies keeps its chart unmarked
    assert not anomaly_marks(charts.sentiment_trend(SENTIMENT).to_dict())


def test_a_video_timelines_anomalies_are_marked_at_their_minute():
    from ui.dashboard import charts
    timeline = {**YOUTUBE["sentiment"], "anomalies": [
        {"index": 1, "timestamp": 60, "score": 0.9, "kind": "level_shift"}]}
    spec = charts.video_timeline({**YOUTUBE, "sentiment": timeline}).to_dict()
    [mark] = anomaly_marks(spec)
    assert (mark["minute"], mark["mean"], mark["kind"]) == (1.0, -0.2, "level_shift")


def test_a_forecasts_residual_anomalies_are_marked_on_the_observed_history():
    from ui.dashboard import charts, results
    values = [10 + math.sin(i / 3) + 0.05 * math.cos(7 * i) for i in range(60)]
    values[40] += 5
    series = {"name": "sales", **forecast_series({"values": values, "horizon": 4,
                                                  "model": "ets"})}
    assert 40 in [a["index"] for a in series["anomalies"]]
    [history] = results.observed_history({"series": [{"values": values}]}, 1)
    spec = charts.forecast_chart(series, history).to_dict()
    assert {(m["t"], m["value"]) for m in anomaly_marks(spec)} >= {(40, values[40])}
    # without the history the marks sit on the fitted values
    spec = charts.forecast_chart(series, None).to_dict()
    assert {(m["t"], m["value"]) for m in anomaly_marks(spec)} >= {(40, series["fitted"][40])}
    at = rendered({"series": [series], "count": 1})
    assert marks(chart_specs(at)[0]) == ["area", "area", "line", "point"]

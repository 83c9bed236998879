"""Each result chart in a real browser, checked on what it drew (``tests/ui/vega.py``): bars
that rise from zero on an axis that starts at 0, VaR labels that stand apart, quantiles in
numeric order, a forecast with its observed history, anomalies marked on their series, the
sentiment trend and extremes; a failed job's steps in final states that do not grow; nothing
loaded from another host."""

from __future__ import annotations

import math
import uuid

import pytest
from playwright.sync_api import Page, expect

from app.client import DIA3Client
from tests.ui import vega
from tests.ui.browser import settled, shot, sign_in, table_rows
from tests.youtube_scenarios import SUCCESS as VIDEO

pytestmark = pytest.mark.integration

TEXTS = ["I love this product, it is wonderful", "Terrible support, never again",
         "The parcel arrived on Tuesday", "Absolutely fantastic service, thank you",
         "Broken on arrival, awful experience", "Great value and works well"]
DAYS = [1, 2, 3, 1, 2, 3]  # the 2nd of March has both negative texts
MONTHLY = [112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118,
           115, 126, 141, 135, 125, 149, 170, 170, 158, 133, 114, 140]
LATENCY = [50.0 + (i % 7) * 0.5 + (30.0 if i == 60 else 0.0) + (12.0 if i >= 100 else 0.0)
           for i in range(160)]
# a smooth series with one point its fit cannot explain
SPIKED = [round(10 + math.sin(i / 3) + 0.05 * math.cos(7 * i) + (5.0 if i == 40 else 0.0), 4)
          for i in range(60)]
QUANTILE_ORDER = ["p1", "p5", "p10", "p25", "p50", "p75", "p90", "p95", "p99"]
PX = 1.0  # tolerance of positions on the screen


@pytest.fixture(scope="module")
def jobs(api_url, dia3_env) -> dict[str, str]:
    """One finished job per result shape (and a failed one), in a tenant of their own;
    ``key`` is that tenant's analyst key."""
    from app.extensions import key_store
    key = key_store().create("analyst", f"charts{uuid.uuid4().hex[:8]}")[0]
    client = DIA3Client(api_url, key)
    collection = "videos-" + uuid.uuid4().hex[:6]
    client.create_collection(collection)
    submitted = {
        "sentiment": client.submit("sentiment", {
            "texts": TEXTS, "ids": [f"r{i}" for i in range(len(TEXTS))],
            "timestamps": [f"2025-03-0{day}T0{i}:00:00Z" for i, day in enumerate(DAYS)],
            "bucket": "day"}),
        "monte_carlo": client.submit("monte_carlo", {
            "model": "gbm", "n_simulations": 4000, "seed": 7,
            "params": {"s0": 100, "drift": 0.05, "volatility": 0.2, "horizon": 1,
                       "steps": 20}}),
        "forecast": client.submit("forecast", {
            "series": [{"name": "sales", "values": MONTHLY, "frequency": "MS"}],
            "horizon": 6, "season_length": 12, "levels": [80, 95]}),
        "spiked_forecast": client.submit("forecast", {
            "series": [{"name": "spiked", "values": SPIKED, "model": "ets"}], "horizon": 4}),
        "scenario_forecast": client.submit("scenario_forecast", {
            "series": {"values": MONTHLY, "frequency": "MS", "horizon": 6,
                       "season_length": 12}, "n_paths": 500, "seed": 1}),
        "youtube": client.submit("youtube", {"video": VIDEO, "collection": collection}),
        "anomaly": client.submit("anomaly", {"series": [{"name": "latency",
                                                         "values": LATENCY}]}),
        "failed": client.submit("smoke", {"start": 1, "fail_attempts": 1}),
    }
    out = {"key": key}
    for name, job in submitted.items():
        done = client.wait(job["id"], timeout=180)
        assert done["state"] == ("failed" if name == "failed" else "succeeded"), done
        out[name] = job["id"]
    return out


def open_job(page: Page, url: str, jobs: dict, name: str) -> None:
    """Sign in from a link to the job, which is then shown."""
    sign_in(page, f"{url}/job?job={jobs[name]}", jobs["key"])
    expect(page.get_by_text(f" · {jobs[name]}")).to_be_visible()
    settled(page)


def assert_bars_rise_from_zero(chart: vega.Chart, value: str) -> list[vega.Item]:
    """Every bar has the height of its value, from the baseline at the 0 tick of a y axis
    that starts at 0."""
    axis = chart.axis("y")
    assert axis.low == 0, axis
    bars = chart.marks("rect")
    drawn = [bar for bar in bars if float(bar.data[value]) > 0]
    assert drawn and all(bar.box.height > 0 for bar in drawn), bars
    baseline = max(bar.box.bottom for bar in drawn)
    assert all(abs(bar.box.bottom - baseline) <= PX for bar in drawn), bars
    # heights proportional to the values: measured from 0, not from the smallest value
    per_unit = [bar.box.height / float(bar.data[value]) for bar in drawn]
    assert max(per_unit) - min(per_unit) <= 0.01 * max(per_unit), per_unit
    return drawn


def test_monte_carlo_bars_rise_from_zero_var_labels_stand_apart_quantiles_in_order(
        page, dashboard_url, jobs):
    open_job(page, dashboard_url, jobs, "monte_carlo")
    histogram = vega.chart(page, "Distribution of outcomes")
    bars = assert_bars_rise_from_zero(histogram, "paths")
    assert sum(int(bar.data["paths"]) for bar in bars) == 4000
    assert histogram.axis("y").title == "simulations"
    labels = histogram.marks("text")
    assert sorted(label.text for label in labels) == ["VaR 95%", "VaR 99%"]
    assert not labels[0].box.overlaps(labels[1].box), [label.box for label in labels]
    rules = {rule.data["level"]: rule.box.x for rule in histogram.marks("rule")}
    assert rules["VaR 99%"] < rules["VaR 95%"]  # the larger loss sits further left
    left, right = min(b.box.x for b in bars), max(b.box.x + b.box.width for b in bars)
    assert left <= rules["VaR 99%"] <= right

    fan = vega.chart(page, "Fan chart of simulated paths")
    [outer, inner] = fan.marks("area")
    [median] = fan.marks("line")
    assert median.vertices == 21 and outer.vertices == 2 * 21  # the start and 20 steps
    assert outer.box.height > inner.box.height > 0
    assert outer.box.y <= median.box.y and median.box.bottom <= outer.box.bottom

    rows = table_rows(page, "stTable")
    assert [row["quantile"] for row in rows] == QUANTILE_ORDER
    values = [float(row["value"].replace(",", "")) for row in rows]
    assert values == sorted(values)
    histogram_el = page.get_by_test_id("stVegaLiteChart").first
    histogram_el.scroll_into_view_if_needed()
    shot(page, "monte-carlo")
    assert page.outside == [], page.outside


def test_sentiment_charts_count_from_zero_and_extremes_list_each_text_once(
        page, dashboard_url, jobs):
    open_job(page, dashboard_url, jobs, "sentiment")
    labels = vega.chart(page, "Texts per label")
    bars = assert_bars_rise_from_zero(labels, "texts")
    counts = {bar.data["label"]: int(bar.data["texts"]) for bar in bars}
    assert sum(counts.values()) == len(TEXTS) and counts["positive"] >= 3

    scores = vega.chart(page, "Distribution of compound scores")
    bars = assert_bars_rise_from_zero(scores, "texts")
    assert sum(int(bar.data["texts"]) for bar in bars) == len(TEXTS)
    for chart in (labels, scores):  # counts are whole numbers
        assert all(float(text).is_integer() for text, _ in chart.axis("y").ticks)

    trend = vega.chart(page, "Mean sentiment per day")
    assert (trend.axis("y").low, trend.axis("y").high) == (-1, 1)
    points = trend.marks("symbol")
    assert [float(p.data["count"]) for p in points] == [2, 2, 2]  # two texts a day
    [zero] = trend.marks("rule")
    below = [p.data["start"] for p in points if p.box.y + p.box.height / 2 > zero.box.y]
    assert below == ["Mar 02, 2025"]  # only the day with a negative mean is under the line
    assert [p.box.x for p in points] == sorted(p.box.x for p in points)

    rows = table_rows(page, "stTable")
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) <= len(TEXTS)  # each text once
    for row in rows:
        assert row["text"] == TEXTS[int(row["id"][1:])]
        assert (row["side"] == "most negative") == (row["label"] == "negative")
    assert [row["side"] for row in rows] == ["most negative"] * 2 + ["most positive"] * 3
    shot(page, "sentiment")
    assert page.outside == [], page.outside


def observed_and_forecast(chart: vega.Chart) -> tuple[vega.Item, vega.Item]:
    lines = {line.data["kind"]: line for line in chart.marks("line")}
    return lines["observed"], lines["forecast"]


def test_a_forecast_shows_the_observed_history_before_its_forecast(page, dashboard_url, jobs):
    open_job(page, dashboard_url, jobs, "forecast")
    chart = vega.chart(page, "Forecast (", prefix=True)
    observed, forecast = observed_and_forecast(chart)
    assert observed.vertices == len(MONTHLY) and forecast.vertices == 6
    assert float(observed.data["value"]) == MONTHLY[0]
    assert forecast.box.x >= observed.box.x + observed.box.width - PX
    assert len(chart.marks("area")) == 2  # the 95 % and 80 % intervals
    shot(page, "forecast")
    assert page.outside == [], page.outside


def test_a_forecasts_residual_anomalies_are_marked_on_its_history(page, dashboard_url, jobs):
    open_job(page, dashboard_url, jobs, "spiked_forecast")
    chart = vega.chart(page, "Forecast (", prefix=True)
    observed, _ = observed_and_forecast(chart)
    points = {int(float(p.data["t"])): p for p in chart.marks("symbol")}
    assert points[40].data["kind"] == "spike"
    assert float(points[40].data["value"]) == SPIKED[40]
    assert all(points[40].box.y <= p.box.y for p in points.values())  # the top of the line
    assert observed.box.y - PX <= points[40].box.y + points[40].box.height / 2
    shot(page, "forecast-anomalies")
    assert page.outside == [], page.outside


def test_a_scenario_forecast_shows_history_forecast_and_fan(page, dashboard_url, jobs):
    open_job(page, dashboard_url, jobs, "scenario_forecast")
    chart = vega.chart(page, "Forecast (", prefix=True)
    observed, forecast = observed_and_forecast(chart)
    assert observed.vertices == len(MONTHLY) and forecast.vertices == 6
    assert forecast.box.x >= observed.box.x + observed.box.width - PX
    fan = vega.chart(page, "Fan chart of simulated paths")
    assert fan.marks("area") and fan.marks("line")[0].vertices == 6
    assert page.outside == [], page.outside


def test_a_video_gets_its_sentiment_over_video_time(page, dashboard_url, jobs, api_url):
    open_job(page, dashboard_url, jobs, "youtube")
    windows = DIA3Client(api_url, jobs["key"]).result(jobs["youtube"])["result"]["sentiment"]
    chart = vega.chart(page, "Sentiment over the video")
    assert chart.axis("x").title == "video time (minutes)"
    assert (chart.axis("y").low, chart.axis("y").high) == (-1, 1)
    symbols = chart.marks("symbol")
    points = [p for p in symbols if "kind" not in p.data]  # the line's; the rest are anomalies
    assert [float(p.data["minute"]) for p in points] == [
        w["start"] / 60 for w in windows["points"]]
    marked = [p for p in symbols if "kind" in p.data]
    assert [(float(p.data["minute"]), p.data["kind"]) for p in marked] == [
        (windows["points"][a["index"]]["start"] / 60, a["kind"]) for a in windows["anomalies"]]
    assert [p.box.x for p in points] == sorted(p.box.x for p in points)
    [zero] = chart.marks("rule")
    for point, window in zip(points, windows["points"], strict=True):
        assert (point.box.y + point.box.height / 2 > zero.box.y) == (window["mean"] < 0)
    assert page.outside == [], page.outside


def test_a_failed_jobs_steps_end_in_final_states_without_growing(page, dashboard_url, jobs,
                                                                 api_url):
    open_job(page, dashboard_url, jobs, "failed")
    expect(page.get_by_text("failed", exact=True).first).to_be_visible()
    steps = DIA3Client(api_url, jobs["key"]).job(jobs["failed"])["steps"]
    rows = {row["step"]: row for row in table_rows(page, "stDataFrame")}
    assert {step: row["state"] for step, row in rows.items()} == {
        "first": "done", "second": "failed", "finish": "not_run"}
    second = steps["second"]  # its duration is the recorded one, not "until now"
    assert rows["second"]["seconds"] == f"{second['finished_at'] - second['started_at']:.3f}"
    assert rows["finish"]["seconds"] == "–" and rows["finish"]["started"] == ""
    assert "None" not in page.get_by_test_id("stDataFrame").inner_text()
    expect(page.get_by_role("button", name="Retry from the failed step")).to_be_visible()
    shot(page, "failed-steps")
    assert page.outside == [], page.outside


def test_anomalies_are_marked_on_their_series(page, dashboard_url, jobs):
    open_job(page, dashboard_url, jobs, "anomaly")
    chart = vega.chart(page, "Anomalies (", prefix=True)
    [line] = chart.marks("line")
    assert line.vertices == len(LATENCY)
    points = {int(float(p.data["t"])): p for p in chart.marks("symbol")}
    assert points[60].data["kind"] == "spike"
    assert float(points[60].data["value"]) == LATENCY[60]
    assert all(points[60].box.y < p.box.y for t, p in points.items() if t != 60)  # the top
    [rule] = chart.marks("rule")
    assert int(float(rule.data["t"])) == 100  # the level shift's change point
    assert line.box.x - PX <= rule.box.x <= line.box.x + line.box.width + PX
    shot(page, "anomaly")
    assert page.outside == [], page.outside

"""Anomalies other workflows attach to their results for the charts to mark: a sentiment
trend's odd bucket, a forecast's unexplained point; nothing on short series."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from workers.anomaly.engine.marks import (
    MAX_POINTS,
    MIN_POINTS,
    residual_anomalies,
    series_anomalies,
)
from workers.forecast.engine import forecast_series
from workers.knowledge.engine.chunking import TimedSegment
from workers.knowledge.engine.timeline import sentiment_timeline
from workers.sentiment.engine.vader import trend


def calm(n: int, seed: int = 3) -> list[float]:
    return list(np.random.default_rng(seed).normal(0.2, 0.05, n))


def test_a_planted_spike_in_a_trend_is_reported_with_its_timestamp():
    values = calm(40)
    values[27] = -0.8
    stamps = [f"2026-01-{d:02d}" for d in range(1, 41)]
    found = series_anomalies(values, stamps)
    assert [(a["index"], a["kind"], a["timestamp"]) for a in found] == [
        (27, "spike", "2026-01-28")]
    assert 0 < found[0]["score"] <= 1


def test_short_series_and_calm_series_give_none():
    values = calm(MIN_POINTS - 1)
    values[5] = -0.9
    assert series_anomalies(values) == []
    assert series_anomalies(calm(60)) == []
    assert series_anomalies([None] * 30) == []


def test_a_long_series_is_looked_at_over_its_recent_points_indexed_as_given():
    values = calm(MAX_POINTS + 500)
    values[-100] = 3.0
    values[10] = 3.0  # before the window: not looked at
    assert [a["index"] for a in series_anomalies(values)] == [len(values) - 100]


def test_a_spike_smaller_than_what_matters_is_not_marked():
    values = calm(40)
    values[27] = 0.5  # six spreads off, but 0.3 from the median
    assert [a["index"] for a in series_anomalies(values)] == [27]
    assert series_anomalies(values, material=0.4) == []


def test_a_lasting_move_of_the_mean_is_a_level_shift():
    values = calm(20) + [v + 0.5 for v in calm(20, seed=4)]
    found = series_anomalies(values, material=0.05)
    assert [(a["index"], a["kind"]) for a in found] == [(20, "level_shift")]
    assert series_anomalies(values, material=0.6) == []


def test_a_straight_line_forecast_has_nothing_to_mark():
    result = forecast_series({"values": [float(v) for v in range(1, 25)], "horizon": 4})
    assert result["anomalies"] == []


def test_residual_anomalies_skip_positions_missing_from_either_side():
    fitted = [None, None, *[0.2] * 38]
    observed = [*calm(39), None]
    observed[20] = 2.0
    assert [a["index"] for a in residual_anomalies(observed, fitted)] == [20]
    assert residual_anomalies(observed, fitted, warm_up=21) == []


def test_a_sentiment_trend_marks_the_bucket_that_stands_out():
    day0 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
    compounds = calm(30)
    compounds[18] = -0.9
    items = [{"compound": c, "label": "positive" if c > 0 else "negative"} for c in compounds]
    t = trend(items, [day0 + 86400 * d for d in range(30)], "day")
    assert [(a["index"], a["kind"]) for a in t["anomalies"]] == [(18, "spike")]
    assert t["anomalies"][0]["timestamp"] == t["points"][18]["start"]
    assert trend(items[:5], [day0 + 86400 * d for d in range(5)], "day")["anomalies"] == []


def test_a_video_timeline_marks_the_window_that_stands_out():
    texts = ["the colour is nice", "it works fine", "shipping was ok", "i like the handle",
             "it arrived on a tuesday", "pretty good so far", "the box was small"]
    segments = [TimedSegment(texts[i * 3 % 7], i * 10.0, i * 10.0 + 5) for i in range(60)]
    segments[33] = TimedSegment("this is terrible, awful and horrible", 330.0, 335.0)
    timeline = sentiment_timeline(segments, window_seconds=10)
    # one mark: no change point around the spike, though segmentation may cut it out
    assert [(a["index"], a["timestamp"], a["kind"]) for a in timeline["anomalies"]] == [
        (33, 330.0, "spike")]
    assert sentiment_timeline([])["anomalies"] == []


def test_a_forecast_reports_the_point_its_fit_could_not_explain():
    values = [10 + math.sin(i / 3) + 0.05 * math.cos(7 * i) for i in range(60)]
    values[40] += 5
    result = forecast_series({"values": values, "horizon": 4, "model": "ets"})
    assert 40 in [a["index"] for a in result["anomalies"]]
    short = forecast_series({"values": values[:MIN_POINTS - 2], "horizon": 2})
    assert short["anomalies"] == []

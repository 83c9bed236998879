"""The anomaly engine finds what it is for (spikes, level shifts, variance changes) in both
modes, stays quiet on plain noise, and in streaming mode judges each point from the points
before it only."""

from __future__ import annotations

import numpy as np
import pytest

from workers.anomaly.engine import StreamConfig, StreamingDetector, detect_series
from workers.anomaly.engine.alarms import DEFAULT_THRESHOLD
from workers.anomaly.engine.changepoints import binary_segmentation
from workers.anomaly.engine.robust import score_from_z, t_quantile, upper_tail_log10
from workers.anomaly.engine.seasonal import detect_season


def spec(values, mode="batch", season=None, sensitivity=0.5, timestamps=None) -> dict:
    return {
        "values": list(map(float, values)),
        "timestamps": timestamps,
        "mode": mode,
        "season_length": season,
        "sensitivity": sensitivity,
    }


def noise(n: int = 2000, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(100.0, 2.0, n)


def kinds_near(result: dict, index: int, slack: int) -> set[str]:
    return {a["kind"] for a in result["anomalies"] if abs(a["index"] - index) <= slack}


@pytest.mark.parametrize("mode", ["batch", "streaming"])
def test_a_spike_is_found_where_it_is(mode):
    values = noise()
    values[1500] += 30
    result = detect_series(spec(values, mode))
    assert "spike" in kinds_near(result, 1500, 0 if mode == "batch" else 10)
    assert result["scores"][1500] > max(result["scores"][1000:1400])


@pytest.mark.parametrize("mode", ["batch", "streaming"])
def test_a_level_shift_is_found_and_is_a_change_point(mode):
    values = noise()
    values[1200:] += 12
    result = detect_series(spec(values, mode))
    near = [c for c in result["change_points"] if abs(c["index"] - 1200) <= 15]
    assert near, result["change_points"]
    assert near[0]["kind"] == "level_shift"
    assert near[0]["after"]["mean"] - near[0]["before"]["mean"] == pytest.approx(12, abs=2.5)


@pytest.mark.parametrize("mode", ["batch", "streaming"])
def test_a_variance_change_is_found(mode):
    values = noise()
    values[1200:] = 100 + (values[1200:] - 100) * 6
    result = detect_series(spec(values, mode))
    assert "variance_change" in kinds_near(result, 1200, 30), result["anomalies"]


def test_batch_mode_stays_quiet_on_noise_and_removes_the_season():
    t = np.arange(24 * 40)
    values = 50 + 20 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(4).normal(0, 1, len(t))
    result = detect_series(spec(values))
    assert result["season_length"] == 24
    assert result["anomalies"] == [] and result["change_points"] == []
    values[500] += 8  # small against the season, large against the noise
    assert [a["index"] for a in detect_series(spec(values))["anomalies"]] == [500]


def test_streaming_mode_raises_few_alarms_on_noise():
    """At the default sensitivity (tuned on NAB, which rewards early alarms) white noise
    raises about one alarm per thousand points; at the lowest, none."""
    values = noise(5000, seed=9)
    assert len(detect_series(spec(values, "streaming"))["anomalies"]) <= 10
    assert detect_series(spec(values, "streaming", sensitivity=0.0))["anomalies"] == []


def test_sensitivity_orders_the_number_of_anomalies():
    values = np.random.default_rng(2).standard_t(3, 3000)
    counts = [
        len(detect_series(spec(values, "batch", sensitivity=s))["anomalies"])
        for s in (0.0, 0.5, 1.0)
    ]
    assert counts[0] <= counts[1] <= counts[2] and counts[0] < counts[2]


def test_streaming_scores_use_past_points_only():
    """Appending future points never changes an earlier score, and feeding the series in
    chunks gives the scores of feeding it at once."""
    rng = np.random.default_rng(5)
    values = rng.normal(0, 1, 6000).cumsum() * 0.1 + rng.normal(0, 1, 6000)
    values[3000] += 15
    whole = StreamingDetector(season_length=24).update(values).scores
    for cut in (50, 999, 3000, 4500):
        prefix = StreamingDetector(season_length=24).update(values[:cut]).scores
        assert np.array_equal(prefix, whole[:cut])
    future = values.copy()
    future[4000:] = 1e6  # a wild future changes nothing before it
    assert np.array_equal(
        StreamingDetector(season_length=24).update(future).scores[:4000], whole[:4000]
    )
    detector = StreamingDetector(season_length=24)
    chunks = [
        detector.update(values[a:b]).scores for a, b in ((0, 1), (1, 7), (7, 5000), (5000, 6000))
    ]
    assert np.allclose(np.concatenate(chunks), whole, atol=1e-12)


def test_streaming_alarms_use_past_points_only():
    """The alarms (indices and scores) raised on a prefix are the alarms of the whole
    series before its end: a later point never moves or removes one."""
    rng = np.random.default_rng(8)
    values = rng.normal(10, 1, 4000)
    values[[900, 2100, 3300]] += 12
    values[2500:] += 4
    whole = detect_series(spec(values, "streaming"))["anomalies"]
    assert len(whole) >= 3
    for cut in (1000, 2200, 2600, 3400):
        prefix = detect_series(spec(values[:cut], "streaming"))["anomalies"]
        assert [(a["index"], a["score"]) for a in prefix] == [
            (a["index"], a["score"]) for a in whole if a["index"] < cut
        ]


def test_streaming_memory_is_bounded():
    detector = StreamingDetector(season_length=48)
    detector.update(noise(20_000))
    config = detector.config
    held = (
        len(detector._residuals)
        + len(detector._values)
        + len(detector._raw)
        + len(detector._average)
    )
    assert (
        held
        <= max(config.windows)
        + max(config.short, config.stats_every)
        + 3 * 48
        + config.likelihood_long
        + config.likelihood_short
    )


def test_missing_values_score_zero_and_timestamps_are_carried():
    values = list(noise(300))
    values[200] = 200.0
    values[10] = None
    stamps = [f"2025-01-01T{h % 24:02d}:00:00" for h in range(300)]
    result = detect_series({**spec([0] * 300, timestamps=stamps), "values": values})
    assert result["scores"][10] == 0.0 and len(result["scores"]) == 300
    spike = [a for a in result["anomalies"] if a["index"] == 200]
    assert spike and spike[0]["timestamp"] == stamps[200]


def test_binary_segmentation_finds_the_splits_and_nothing_in_noise():
    rng = np.random.default_rng(0)
    y = rng.normal(0, 1, 3000)
    y[1000:] += 2
    y[2000:] *= 3
    assert binary_segmentation(y, 6 * np.log(3000), 10) == pytest.approx([1000, 2000], abs=5)
    assert binary_segmentation(rng.normal(0, 1, 3000), 6 * np.log(3000), 10) == []


def test_season_detection():
    rng = np.random.default_rng(0)
    t = np.arange(2000)
    assert detect_season(10 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 1, 2000)) == 24
    assert detect_season(rng.normal(0, 1, 2000)) is None


def test_tail_probabilities_match_known_values():
    assert upper_tail_log10(np.array([1.959964]))[0] == pytest.approx(-np.log10(0.025), rel=1e-5)
    assert upper_tail_log10(np.array([8.0]))[0] == pytest.approx(15.2061, rel=1e-4)
    assert score_from_z(np.array([0.0, 100.0])).tolist() == [0.0, 1.0]
    assert t_quantile(0.975, 10) == pytest.approx(2.228, abs=2e-3)


def test_streaming_with_a_season_judges_the_residuals():
    """A shift smaller than the daily swing is found against the seasonal baseline, and is
    told apart from a spike by the residuals, not by the raw values."""
    t = np.arange(24 * 200)
    values = 10 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(0).normal(0, 1, len(t))
    values[3000:] += 5
    result = detect_series(spec(values, "streaming", season=24))
    assert [c["index"] for c in result["change_points"] if abs(c["index"] - 3000) <= 10]
    assert "level_shift" in kinds_near(result, 3000, 15)


def test_streaming_detects_a_strong_season_in_its_warm_up_whatever_the_chunks():
    """A clear daily cycle is found once, after the warm-up, and removed from then on; the
    same season and scores however the series is cut; noise keeps no season."""
    t = np.arange(3000)
    values = 10 * np.sin(2 * np.pi * t / 96) + np.random.default_rng(3).normal(0, 0.5, 3000)
    whole = StreamingDetector()
    scores = whole.update(values).scores
    assert whole.season_length == 96
    chunked = StreamingDetector()
    parts = [chunked.update(values[a:b]).scores for a, b in ((0, 700), (700, 751), (751, 3000))]
    assert chunked.season_length == 96 and np.allclose(np.concatenate(parts), scores)
    plain = StreamingDetector()
    plain.update(noise(3000))
    assert plain.season_length is None


def test_streaming_scores_a_burst_far_beyond_the_usual_ones_whatever_the_likelihood():
    """In a series whose bursts are usual (so the likelihood scores them low), a burst with
    a statistic twice any before it scores high although its value is inside the series'
    range; the usual bursts stay below the threshold, chunked or not."""
    rng = np.random.default_rng(3)
    t = np.arange(4000)
    values = 50 * np.sin(2 * np.pi * t / 50) + rng.normal(0, 1, 4000)
    usual = np.arange(300, 4000, 37)
    values[usual] += rng.choice([-1, 1], len(usual)) * rng.uniform(6, 9, len(usual))
    at = 3000 + int(np.argmin(values[3000:3050]))  # a trough: the value stays in range
    values[at] += 30
    scores = StreamingDetector(season_length=50).update(values).scores
    assert scores[at] >= 0.95 and scores[1000:at].max() < DEFAULT_THRESHOLD
    without = StreamingDetector(season_length=50, config=StreamConfig(record_ratio=0.0))
    assert without.update(values).scores[at] < DEFAULT_THRESHOLD
    chunked = StreamingDetector(season_length=50)
    parts = [chunked.update(values[a:b]).scores for a, b in ((0, 290), (290, 3001), (3001, 4000))]
    assert np.allclose(np.concatenate(parts), scores, atol=1e-12)

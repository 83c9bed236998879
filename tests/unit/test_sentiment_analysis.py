from datetime import UTC, datetime

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from app.workflows.sentiment.workflow import batches
from workers.runtime.errors import JobCancelled
from workers.sentiment.engine.vader import (
    bucket_start,
    build_items,
    label,
    score_texts,
    summarise,
    trend,
)


@pytest.mark.parametrize("compound,expected", [(0.05, "positive"), (0.0499, "neutral"),
                                               (-0.05, "negative"), (-0.0499, "neutral"),
                                               (0.9, "positive"), (-0.9, "negative")])
def test_label_thresholds(compound, expected):
    assert label(compound) == expected


def test_scores_equal_vader_called_directly():
    texts = ["I love it!", "This is the worst.", "It is a table.", ""]
    vader = SentimentIntensityAnalyzer()
    for row, text in zip(score_texts(texts), texts):
        s = vader.polarity_scores(text)
        assert row == [s["compound"], s["pos"], s["neu"], s["neg"]]


def test_score_texts_checks_for_cancellation_between_texts():
    calls = []

    def check():
        calls.append(1)
        if len(calls) == 2:
            raise JobCancelled("j")
    with pytest.raises(JobCancelled):
        score_texts(["fine"] * 50, check=check, check_every=10)
    assert len(calls) == 2


def test_batches_respect_item_and_character_budgets():
    texts = ["a" * 10] * 7 + ["b" * 100] + ["c"] * 3
    spans = batches(texts, max_items=3, max_chars=50)
    assert spans[0] == (0, 3)
    covered = [i for a, b in spans for i in range(a, b)]
    assert covered == list(range(len(texts)))  # contiguous, complete, no overlap
    assert (7, 8) in spans  # the long text alone
    assert all(b - a <= 3 for a, b in spans)


def test_summary_counts_mean_and_items():
    items = build_items([[0.5, 0, 0, 0], [-0.5, 0, 0, 0], [0.0, 0, 1, 0]], ["x", "y", "z"])
    result = summarise(items)
    assert result["counts"] == {"positive": 1, "neutral": 1, "negative": 1}
    assert result["mean"] == pytest.approx(0.0)
    assert [i["id"] for i in result["items"]] == ["x", "y", "z"]
    assert "trend" not in result


def test_trend_buckets_by_day_and_week():
    day = datetime(2026, 3, 4, tzinfo=UTC).timestamp()  # a Wednesday
    items = build_items([[0.5, 0, 0, 0], [0.1, 0, 0, 0], [-0.5, 0, 0, 0]], None)
    t = trend(items, [day + 60, day + 3600, day + 86400 + 5], "day")
    assert [p["count"] for p in t["points"]] == [2, 1]
    assert t["points"][0]["mean"] == pytest.approx(0.3)
    assert t["points"][0]["start"].startswith("2026-03-04T00:00:00")
    monday = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
    assert bucket_start(day, "week") == monday
    assert bucket_start(day, "month") == datetime(2026, 3, 1, tzinfo=UTC).timestamp()


def test_auto_bucket_picks_a_readable_width():
    items = build_items([[0.1, 0, 0, 0]] * 3, None)
    t = trend(items, [0, 3600 * 10, 3600 * 20], "auto")
    assert t["bucket"] == "hour"


def test_time_limit_errors_say_which_limit():
    from celery.exceptions import SoftTimeLimitExceeded

    from workers.runtime.job_step import describe_error
    assert describe_error(SoftTimeLimitExceeded(), 30) == (
        "TimeLimitExceeded", "step exceeded its time limit (30 s)")
    assert describe_error(ValueError("bad value")) == ("ValueError", "bad value")

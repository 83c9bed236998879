"""Sentiment timelines over timed transcripts."""

from workers.knowledge.engine.chunking import TimedSegment
from workers.knowledge.engine.timeline import choose_window, sentiment_timeline
from workers.sentiment.engine.vader import score_texts

SEGMENTS = [TimedSegment("I love this wonderful product", 0.0, 4.0),
            TimedSegment("It arrived on Tuesday", 4.0, 8.0),
            TimedSegment("The battery is terrible and awful", 65.0, 70.0)]


def test_windows_average_the_segments_they_start_in():
    timeline = sentiment_timeline(SEGMENTS, window_seconds=60)
    assert timeline["counts"] == {"positive": 1, "neutral": 1, "negative": 1}
    first, second = timeline["points"]
    assert (first["start"], first["end"], first["count"]) == (0, 60, 2)
    assert (second["start"], second["count"], second["label"]) == (60, 1, "negative")
    assert first["mean"] > 0 > second["mean"]
    assert timeline["most_positive"][0]["text"] == "I love this wonderful product"
    assert timeline["most_negative"][0]["start"] == 65.0
    compounds = [scores[0] for scores in score_texts([s.text for s in SEGMENTS])]
    assert timeline["mean"] == round(sum(compounds) / 3, 4)


def test_the_automatic_window_gives_at_most_forty_points():
    assert choose_window(60) == 10
    assert choose_window(3600) == 120
    assert choose_window(10 * 3600) == 900
    long = [TimedSegment("fine", t, t + 1) for t in range(0, 7200, 7)]
    assert len(sentiment_timeline(long)["points"]) <= 40


def test_no_segments_no_points():
    timeline = sentiment_timeline([])
    assert (timeline["count"], timeline["points"]) == (0, [])

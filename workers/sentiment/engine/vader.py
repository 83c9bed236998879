"""Sentiment scoring with VADER and aggregation of scored items (plain functions)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from workers.anomaly.engine.marks import SENTIMENT_MATERIAL, series_anomalies

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
LABELS = ("positive", "neutral", "negative")
BUCKET_SECONDS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    """One analyser per process: loading the lexicon costs ~50 ms."""
    return SentimentIntensityAnalyzer()


def label(compound: float) -> str:
    """VADER's recommended thresholds: ≥ 0.05 positive, ≤ -0.05 negative."""
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def score_texts(texts: Sequence[str], check: Callable[[], None] | None = None,
                check_every: int = 100) -> list[list[float]]:
    """[compound, pos, neu, neg] for each text; ``check`` runs every ``check_every`` texts
    (it raises to stop, e.g. when the job was cancelled)."""
    vader = analyzer()
    out = []
    for i, text in enumerate(texts):
        if check is not None and i and i % check_every == 0:
            check()
        s = vader.polarity_scores(text)
        out.append([s["compound"], s["pos"], s["neu"], s["neg"]])
    return out


def build_items(scores: Sequence[Sequence[float]], ids: Sequence[str] | None) -> list[dict]:
    items = []
    for i, (compound, pos, neu, neg) in enumerate(scores):
        items.append({"index": i, "id": ids[i] if ids else str(i), "compound": compound,
                      "label": label(compound), "pos": pos, "neu": neu, "neg": neg})
    return items


def choose_bucket(timestamps: Sequence[float]) -> str:
    """A bucket width giving roughly 10–100 buckets over the time span."""
    span = max(timestamps) - min(timestamps) if timestamps else 0
    for name, seconds in (("minute", 60), ("hour", 3600), ("day", 86400), ("week", 604800)):
        if span / seconds <= 100:
            return name
    return "month"


def bucket_start(ts: float, bucket: str) -> float:
    if bucket == "month":
        d = datetime.fromtimestamp(ts, tz=UTC)
        return datetime(d.year, d.month, 1, tzinfo=UTC).timestamp()
    width = BUCKET_SECONDS[bucket]
    if bucket == "week":  # weeks start on Monday (epoch day 0 was a Thursday)
        return math.floor((ts - 4 * 86400) / width) * width + 4 * 86400
    return math.floor(ts / width) * width


def trend(items: Sequence[dict], timestamps: Sequence[float], bucket: str) -> dict:
    """Mean compound score and label counts per time bucket, oldest first."""
    if bucket == "auto":
        bucket = choose_bucket(timestamps)
    groups: dict[float, list[dict]] = {}
    for item, ts in zip(items, timestamps):
        groups.setdefault(bucket_start(ts, bucket), []).append(item)
    points = []
    for start in sorted(groups):
        members = groups[start]
        points.append({
            "start": datetime.fromtimestamp(start, tz=UTC).isoformat(),
            "count": len(members),
            "mean": sum(m["compound"] for m in members) / len(members),
            "counts": {lab: sum(1 for m in members if m["label"] == lab) for lab in LABELS},
        })
    # the buckets whose mean stands out (a spike) or where the mean moved for good
    anomalies = series_anomalies([p["mean"] for p in points], [p["start"] for p in points],
                                 material=SENTIMENT_MATERIAL)
    return {"bucket": bucket, "points": points, "anomalies": anomalies}


def summarise(items: Sequence[dict], timestamps: Sequence[float] | None = None,
              bucket: str = "auto") -> dict:
    """The sentiment result: items, label counts, mean and (with timestamps) the trend."""
    n = len(items)
    compounds = [item["compound"] for item in items]
    result = {
        "count": n,
        "mean": sum(compounds) / n if n else 0.0,
        "counts": {lab: sum(1 for item in items if item["label"] == lab) for lab in LABELS},
        "thresholds": {"positive": POSITIVE_THRESHOLD, "negative": NEGATIVE_THRESHOLD},
        "analyser": "vader",
        "items": list(items),
    }
    if timestamps:
        result["trend"] = trend(items, timestamps, bucket)
    return result

"""Sentiment over a timed transcript: VADER per caption segment, averaged per time window.

The analyser is the ``sentiment`` workflow's (``workers.sentiment.engine.vader``), so a video's
timeline and a batch of reviews are scored the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from workers.anomaly.engine.marks import SENTIMENT_MATERIAL, series_anomalies
from workers.knowledge.engine.chunking import TimedSegment
from workers.sentiment.engine.vader import LABELS, label, score_texts

# Window widths (seconds) a timeline may use: the smallest that gives at most MAX_WINDOWS.
NICE_WINDOWS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
MAX_WINDOWS = 40
EXTREMES = 3


def choose_window(duration: float) -> float:
    for width in NICE_WINDOWS:
        if duration / width <= MAX_WINDOWS:
            return float(width)
    return float(math.ceil(duration / MAX_WINDOWS))


def sentiment_timeline(segments: Sequence[TimedSegment], window_seconds: float | None = None
                       ) -> dict:
    """Overall mean and label counts, a point per window that has speech, and the most
    positive and negative segments with their times."""
    if not segments:
        return {"count": 0, "mean": 0.0, "counts": dict.fromkeys(LABELS, 0),
                "window_seconds": window_seconds, "points": [], "anomalies": [],
                "most_positive": [], "most_negative": []}
    scored = [(segment, scores[0]) for segment, scores
              in zip(segments, score_texts([s.text for s in segments]), strict=True)]
    duration = max(s.end for s in segments) - min(s.start for s in segments)
    window = float(window_seconds) if window_seconds else choose_window(duration)
    windows: dict[int, list[float]] = {}
    for segment, compound in scored:
        windows.setdefault(int(segment.start // window), []).append(compound)
    points = [{"start": index * window, "end": (index + 1) * window, "count": len(values),
               "mean": round(sum(values) / len(values), 4),
               "label": label(sum(values) / len(values))}
              for index, values in sorted(windows.items())]
    compounds = [compound for _, compound in scored]
    ranked = sorted(scored, key=lambda pair: pair[1])

    def moment(pair: tuple[TimedSegment, float]) -> dict:
        return {"text": pair[0].text, "start": pair[0].start, "end": pair[0].end,
                "compound": pair[1]}

    return {
        "count": len(scored),
        "mean": round(sum(compounds) / len(compounds), 4),
        "counts": {name: sum(1 for c in compounds if label(c) == name) for name in LABELS},
        "window_seconds": window,
        "points": points,
        # windows whose mean stands out; ``timestamp`` is the window's start in seconds
        "anomalies": series_anomalies([p["mean"] for p in points],
                                      [p["start"] for p in points],
                                      material=SENTIMENT_MATERIAL),
        "most_positive": [moment(p) for p in ranked[::-1][:EXTREMES] if p[1] > 0],
        "most_negative": [moment(p) for p in ranked[:EXTREMES] if p[1] < 0],
    }

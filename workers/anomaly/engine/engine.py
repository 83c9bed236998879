"""One series from normalised params to its result: anomalies, change points with the
statistics of the segments on either side, and a score per point."""

from __future__ import annotations

from typing import Any

import numpy as np

from workers.anomaly.engine.alarms import DEFAULT_COOLDOWN, alarm_indices, threshold_for
from workers.anomaly.engine.batch import detect_batch
from workers.anomaly.engine.kinds import change_kind, streaming_kind
from workers.anomaly.engine.robust import score_from_z
from workers.anomaly.engine.streaming import StreamingDetector

SCORE_DIGITS = 4
KIND_DELAY = 10  # points after a streaming alarm that settle its kind
CHANGE_Z = 3.0  # where a streaming change point is placed: the first z at or above this


def detect_series(spec: dict[str, Any]) -> dict[str, Any]:
    """The result of one series (``spec`` as :func:`app.workflows.anomaly.validation.
    validate_series` returns it). Missing values score 0 and are never anomalies."""
    raw = np.array([np.nan if v is None else v for v in spec["values"]], dtype=float)
    observed = np.flatnonzero(np.isfinite(raw))
    values = raw[observed]
    if spec["mode"] == "streaming":
        found = _streaming(values, spec)
    else:
        found = _batch(values, spec)
    scores = np.zeros(len(raw))
    scores[observed] = found["scores"]
    stamps = spec.get("timestamps")

    def at(i: int) -> dict:
        index = int(observed[i])
        return {"index": index, **({"timestamp": stamps[index]} if stamps else {})}

    anomalies = [{**at(i), "score": _round(score), "kind": kind}
                 for i, score, kind in found["anomalies"]]
    change_points = [{**at(i), "kind": kind, "before": _stats(values[a:i]),
                      "after": _stats(values[i:b])} for i, kind, a, b in found["changes"]]
    return {"mode": spec["mode"], "season_length": found["season_length"],
            "sensitivity": spec["sensitivity"], "n_values": len(raw),
            "anomalies": anomalies, "change_points": change_points,
            "scores": [round(float(s), SCORE_DIGITS) for s in scores]}


def _streaming(values: np.ndarray, spec: dict) -> dict:
    detector = StreamingDetector(season_length=spec["season_length"])
    out = detector.update(values)
    config = detector.config
    alarms = alarm_indices(out.scores, threshold_for(spec["sensitivity"]), DEFAULT_COOLDOWN)
    longest = max(config.windows)
    anomalies, changes = [], []
    for i in (int(a) for a in alarms):
        # the change began where the statistics first left the normal range
        recent = out.z[max(0, i - config.likelihood_short - config.short):i + 1]
        start = i + 1 - len(recent) + int(np.argmax(recent >= CHANGE_Z))
        # the alarm is raised at i; what kind it is, is told by the points up to
        # KIND_DELAY later (a monitor updates the alarm's kind then)
        settled = min(len(values), i + 1 + KIND_DELAY)
        kind = streaming_kind(out.residuals[max(0, start - longest):start],
                              out.residuals[start:settled])
        anomalies.append((i, float(out.scores[i]), kind))
        if kind != "spike":
            changes.append((start, kind, max(0, start - longest), settled))
    return {"scores": out.scores, "anomalies": anomalies, "changes": changes,
            "season_length": detector.season_length}


def _batch(values: np.ndarray, spec: dict) -> dict:
    out = detect_batch(values, spec["season_length"], spec["sensitivity"])
    bounds = [0, *out.change_points, len(values)]
    changes = []
    for k, i in enumerate(out.change_points):
        before, after = values[bounds[k]:i], values[i:bounds[k + 2]]
        changes.append((i, change_kind(before, after), bounds[k], bounds[k + 2]))
    anomalies = [(i, float(out.scores[i]), "spike") for i in out.spikes]
    anomalies += [(i, _change_score(values[a:i], values[i:b]), kind)
                  for i, kind, a, b in changes]
    return {"scores": out.scores, "anomalies": sorted(anomalies), "changes": changes,
            "season_length": out.season_length}


def _change_score(before: np.ndarray, after: np.ndarray) -> float:
    """How sure the change is: the score of Welch's z for the means or of the log ratio of
    the spreads, whichever is larger."""
    se = np.sqrt(before.var() / len(before) + after.var() / len(after)) or 1e-12
    mean_z = abs(after.mean() - before.mean()) / se
    ratio = np.log((after.std() + 1e-12) / (before.std() + 1e-12))
    var_z = abs(ratio) * np.sqrt(2.0 * min(len(before), len(after)))
    return float(score_from_z(np.array(max(mean_z, var_z))))


def _stats(segment: np.ndarray) -> dict:
    if len(segment) == 0:
        return {"count": 0, "mean": None, "median": None, "std": None}
    return {"count": int(len(segment)), "mean": _round(segment.mean()),
            "median": _round(np.median(segment)), "std": _round(segment.std())}


def _round(value: float) -> float:
    return float(round(float(value), 6))

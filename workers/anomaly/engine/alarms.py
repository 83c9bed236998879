"""Scores into alarms: a threshold from the sensitivity, and a cooldown after each alarm so
that one anomaly gives one (early) alarm instead of a burst of them."""

from __future__ import annotations

import numpy as np

#: score threshold at the default sensitivity 0.5 (tuned on NAB, benchmarks/anomaly_nab.py)
DEFAULT_THRESHOLD = 0.45
#: points after an alarm during which no other alarm is raised (streaming mode)
DEFAULT_COOLDOWN = 125
DEFAULT_SENSITIVITY = 0.5


def threshold_for(sensitivity: float, default: float = DEFAULT_THRESHOLD) -> float:
    """The score threshold of a sensitivity in [0, 1]: 0.5 is the tuned default, 0 only the
    most extreme scores (threshold 1), 1 half the default threshold."""
    if sensitivity <= 0.5:
        return 1.0 - (1.0 - default) * sensitivity / 0.5
    return default * (1.0 - (sensitivity - 0.5))


def alarm_indices(scores: np.ndarray, threshold: float, cooldown: int) -> np.ndarray:
    """Indices where the score reaches ``threshold`` and no alarm was raised in the
    ``cooldown`` points before (a causal rule: an alarm depends on past alarms only)."""
    candidates = np.flatnonzero(scores >= threshold)
    if cooldown <= 1 or len(candidates) == 0:
        return candidates
    out = []
    i = 0
    while i < len(candidates):
        out.append(candidates[i])
        i = int(np.searchsorted(candidates, candidates[i] + cooldown, side="left"))
    return np.asarray(out, dtype=np.int64)

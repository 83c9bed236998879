"""What kind an anomaly is: a spike (one point off), a level shift (the points after it sit
elsewhere) or a variance change (they spread differently)."""

from __future__ import annotations

import numpy as np

from workers.anomaly.engine.robust import MAD_SCALE, MEAN_AD_SCALE

DEVIANT_Z = 3.0
SPREAD_RATIO = 2.5  # recent spread over the earlier one from which a change is of variance


def change_kind(before: np.ndarray, after: np.ndarray) -> str:
    """Of a change point between two segments: a level shift when the means differ by at
    least one pooled standard deviation, else a variance change."""
    pooled = np.sqrt((before.var() + after.var()) / 2.0) or 1e-12
    shift = abs(after.mean() - before.mean()) / pooled
    return "level_shift" if shift >= 1.0 else "variance_change"


def streaming_kind(before: np.ndarray, recent: np.ndarray) -> str:
    """Of a streaming alarm, from the points since the statistics left the normal range
    (``recent``) against the window before them: one deviant point is a spike; several that
    spread as the points before did a level shift, several that spread far more a variance
    change."""
    if len(before) < 2:
        return "spike"
    median = np.median(before)
    deviations = np.abs(before - median)
    scale = max(MAD_SCALE * np.median(deviations), MEAN_AD_SCALE * deviations.mean(), 1e-12)
    z = (recent - median) / scale
    if np.count_nonzero(np.abs(z) >= DEVIANT_Z) <= 1:
        return "spike"
    return "variance_change" if z.std(ddof=1) >= SPREAD_RATIO else "level_shift"

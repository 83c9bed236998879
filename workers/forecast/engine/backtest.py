"""Rolling-origin backtest with the parameters fixed at their full-sample estimates.

Origins are the last k positions from which a forecast of hb = min(h, n/4) steps still ends
inside the data; at each origin only the states are re-estimated on the prefix (refitting
every parameter k times would multiply the cost of a forecast by k). Scores are sMAPE with
|A|+|F| in the denominator (safe with negatives) and MASE scaled by the in-sample seasonal
naive error of each prefix, averaged over origins.
"""

from __future__ import annotations

import numpy as np

from workers.forecast.engine.metrics import mase, smape
from workers.forecast.engine.pipeline import SeriesModel

MIN_PREFIX = 4


def rolling_origin(model: SeriesModel, y: np.ndarray, h: int, origins: int, m: int) -> dict:
    hb = min(h, y.size // 4)
    starts = [y.size - hb - j for j in range(origins)] if hb >= 1 else []
    starts = [s for s in starts if s >= MIN_PREFIX]
    if not starts:
        return {"origins": 0, "horizon": hb, "smape": None, "mase": None,
                "note": "series too short for a backtest"}  # fmt: skip
    smapes, mases = [], []
    for start in starts:
        prefix, actual = y[:start], y[start : start + hb]
        try:
            predicted = model.refit(prefix).point(hb)
        except Exception:  # a prefix can be degenerate (e.g. constant) for a given model
            continue
        smapes.append(smape(actual, predicted, variant="abs"))
        value = mase(actual, predicted, prefix, m)
        if np.isfinite(value):
            mases.append(value)
    return {
        "origins": len(smapes),
        "horizon": hb,
        "smape": float(np.mean(smapes)) if smapes else None,
        "mase": float(np.mean(mases)) if mases else None,
        "method": "rolling origin, parameters fixed at full-sample estimates",
    }

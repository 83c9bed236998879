"""Rolling-origin backtest, refitting the model at each origin.

Origins are the latest ``origins`` positions from which a forecast of hb = min(h, n/4) steps
still ends inside the data, spaced hb apart so the windows do not overlap (the scheme of
``cv.windows``). At each origin the model is fitted afresh on the data before it: every
parameter re-estimated, as a forecast made at that time would have been (reusing the
full-sample parameters flattered the scores, since they had seen the test points). For
``auto`` the chosen candidate is refitted, not chosen again, and the windows its validation
already fitted are reused. Scores: sMAPE with |A|+|F| in the denominator (safe with
negatives) and MASE scaled by the in-sample seasonal naive error of each prefix, averaged
over origins.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from workers.forecast.engine.cv import CvResult, windows
from workers.forecast.engine.metrics import mase, smape

MIN_PREFIX = 4
METHOD = "rolling origin, model refitted at each origin"


def _known(cv: CvResult | None, hb: int) -> dict[int, np.ndarray]:
    """Forecasts of the chosen model on ``auto``'s validation windows, by origin."""
    if cv is None or cv.choice is None or not cv.windows or cv.windows[0].actual.size != hb:
        return {}
    return {w.start: f.point for w, f in zip(cv.windows, cv.forecasts[cv.choice], strict=True)}


def rolling_origin(fit: Callable[[np.ndarray], object], y: np.ndarray, h: int, origins: int,
                   m: int, cv: CvResult | None = None) -> dict:  # fmt: skip
    hb = min(h, y.size // 4)
    ws = windows(y, hb, origins, MIN_PREFIX) if hb >= 1 and origins else []
    if not ws:
        return {"origins": 0, "horizon": hb, "smape": None, "mase": None,
                "note": "series too short for a backtest"}  # fmt: skip
    known = _known(cv, hb)
    smapes, mases = [], []
    for w in ws:
        prefix = y[: w.start]
        try:
            predicted = known[w.start] if w.start in known else fit(prefix).point(hb)
        except Exception:  # a prefix can be degenerate (e.g. constant) for a given model
            continue
        smapes.append(smape(w.actual, predicted, variant="abs"))
        value = mase(w.actual, predicted, prefix, m)
        if np.isfinite(value):
            mases.append(value)
    return {
        "origins": len(smapes),
        "horizon": hb,
        "smape": float(np.mean(smapes)) if smapes else None,
        "mase": float(np.mean(mases)) if mases else None,
        "method": METHOD,
    }

"""Results hold finite numbers only.

JSON has no infinity or NaN, and the result store refuses them, so a statistic that
overflowed float64 on the way (the variance of outcomes near 1e200, the mean of outcomes near
1e308, a tail mean of such values) would otherwise fail the job when its result is stored,
after all the work was done. Such a statistic is reported as ``null`` instead, and its place
in the result is listed under ``non_finite`` so that a ``null`` there is never mistaken for
"not computed". Outcomes that are themselves infinite or NaN are not statistics: they are
left out of every figure and counted in ``n_invalid``.
"""

from __future__ import annotations

import math
from typing import Any


def finite_result(result: dict) -> dict:
    """``result`` with every non-finite float replaced by None; their dotted paths, if any,
    are listed under ``non_finite``."""
    found: list[str] = []
    clean = _clean(result, "", found)
    if found:
        clean["non_finite"] = found
    return clean


def _clean(value: Any, path: str, found: list[str]) -> Any:
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        found.append(path)
        return None
    if isinstance(value, dict):
        return {key: _clean(item, f"{path}.{key}" if path else str(key), found)
                for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item, f"{path}.{i}", found) for i, item in enumerate(value)]
    return value

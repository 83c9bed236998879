"""Change points of a whole series by binary segmentation under a normal model whose mean and
variance change at each point (cost n·log σ² per segment, from cumulative sums: each split
is one vectorised pass), stopped by a penalty per change point. Written here rather than
taken from ``ruptures`` to keep the engine numpy-only and each split a single pass over
cumulative sums (a series of 100,000 values with two changes is segmented in about 0.2 s)."""

from __future__ import annotations

import numpy as np


def segment_cost(sums: np.ndarray, squares: np.ndarray, start: np.ndarray | int,
                 end: np.ndarray | int, floor: float) -> np.ndarray:
    """n·log(variance) of ``y[start:end]`` from the cumulative sums of y and y²."""
    n = np.asarray(end - start, dtype=float)
    total = sums[end] - sums[start]
    var = (squares[end] - squares[start]) / n - (total / n) ** 2
    return n * np.log(np.maximum(var, floor))


def binary_segmentation(y: np.ndarray, penalty: float, min_size: int,
                        max_points: int = 50) -> list[int]:
    """Sorted indices where a new segment starts: the split that lowers the cost most, again
    in each part, while it lowers the cost by more than ``penalty``."""
    n = len(y)
    sums = np.concatenate([[0.0], np.cumsum(y)])
    squares = np.concatenate([[0.0], np.cumsum(y * y)])
    spread = float(np.median(np.abs(y - np.median(y)))) or float(np.std(y)) or 1.0
    floor = (1e-3 * spread) ** 2
    found: list[int] = []
    pending = [(0, n)]
    while pending and len(found) < max_points:
        best_gain, best = 0.0, None
        for start, end in pending:
            split, gain = _best_split(sums, squares, start, end, min_size, floor)
            if split is not None and gain > best_gain:
                best_gain, best = gain, (start, split, end)
        if best is None or best_gain <= penalty:
            break
        start, split, end = best
        found.append(split)
        pending.remove((start, end))
        pending += [(start, split), (split, end)]
    return sorted(found)


def _best_split(sums: np.ndarray, squares: np.ndarray, start: int, end: int, min_size: int,
                floor: float) -> tuple[int | None, float]:
    if end - start < 2 * min_size:
        return None, 0.0
    splits = np.arange(start + min_size, end - min_size + 1)
    whole = float(segment_cost(sums, squares, start, end, floor))
    parts = (segment_cost(sums, squares, start, splits, floor)
             + segment_cost(sums, squares, splits, end, floor))
    k = int(np.argmin(parts))
    return int(splits[k]), whole - float(parts[k])

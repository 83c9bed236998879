"""Mergeable quantile sketch with a relative-error guarantee (DDSketch-style log buckets).

Values are counted in buckets (gamma^(k-1), gamma^k] with gamma = (1+a)/(1-a); a bucket is
represented by 2*gamma^k/(gamma+1), within relative error ``a`` of every value in it. Counts
are integers, so merging shards is exact and independent of the order or number of shards.
Magnitudes below ``MIN_MAGNITUDE`` are counted as zero. Buckets are kept as a dense run of
counts from an integer offset, which is compact for the narrow key ranges simulations give.
"""

from __future__ import annotations

import math

import numpy as np

MIN_MAGNITUDE = 1e-9


class _Store:
    """Dense counts for consecutive integer bucket keys starting at ``offset``."""

    def __init__(self, offset: int = 0, counts: np.ndarray | None = None) -> None:
        self.offset = offset
        self.counts = np.zeros(0, dtype=np.int64) if counts is None else counts

    def add_keys(self, keys: np.ndarray) -> None:
        if keys.size == 0:
            return
        lo = int(keys.min())
        self.add_dense(lo, np.bincount(keys - lo))

    def add_dense(self, lo: int, counts: np.ndarray) -> None:
        if counts.size == 0:
            return
        if self.counts.size == 0:
            self.offset, self.counts = lo, counts.astype(np.int64)
            return
        start = min(self.offset, lo)
        stop = max(self.offset + self.counts.size, lo + counts.size)
        if start != self.offset or stop != self.offset + self.counts.size:
            grown = np.zeros(stop - start, dtype=np.int64)
            grown[self.offset - start : self.offset - start + self.counts.size] = self.counts
            self.offset, self.counts = start, grown
        self.counts[lo - start : lo - start + counts.size] += counts

    def to_dict(self) -> dict:
        nonzero = np.flatnonzero(self.counts)
        if nonzero.size == 0:
            return {"offset": 0, "counts": []}
        lo, hi = int(nonzero[0]), int(nonzero[-1]) + 1
        return {"offset": self.offset + lo, "counts": self.counts[lo:hi].tolist()}

    @staticmethod
    def from_dict(data: dict) -> _Store:
        return _Store(int(data["offset"]), np.asarray(data["counts"], dtype=np.int64))


class QuantileSketch:
    """Relative-accuracy quantile sketch over real values (negatives, zero and positives)."""

    def __init__(self, relative_accuracy: float = 0.001) -> None:
        self.relative_accuracy = relative_accuracy
        self.gamma = (1 + relative_accuracy) / (1 - relative_accuracy)
        self.inv_log_gamma = 1.0 / math.log(self.gamma)
        self.positive = _Store()
        self.negative = _Store()
        self.zero = 0

    def _keys(self, logs: np.ndarray) -> np.ndarray:
        return np.ceil(logs * self.inv_log_gamma).astype(np.int64)

    def add(self, values: np.ndarray) -> None:
        """Add finite values."""
        big = np.abs(values) > MIN_MAGNITUDE
        self.zero += int(values.size - np.count_nonzero(big))
        pos = values[big & (values > 0)]
        neg = values[big & (values < 0)]
        self.positive.add_keys(self._keys(np.log(pos)))
        self.negative.add_keys(self._keys(np.log(-neg)))

    def add_logs(self, logs: np.ndarray) -> None:
        """Add positive values given by their natural logs (saves an exp/log pair)."""
        small = logs <= math.log(MIN_MAGNITUDE)
        n_small = int(np.count_nonzero(small))
        if n_small:
            self.zero += n_small
            logs = logs[~small]
        self.positive.add_keys(self._keys(logs))

    def merge(self, other: QuantileSketch) -> None:
        if other.relative_accuracy != self.relative_accuracy:
            raise ValueError("cannot merge sketches of different accuracy")
        self.positive.add_dense(other.positive.offset, other.positive.counts)
        self.negative.add_dense(other.negative.offset, other.negative.counts)
        self.zero += other.zero

    @property
    def count(self) -> int:
        return int(self.positive.counts.sum() + self.negative.counts.sum() + self.zero)

    def _representative(self, keys: np.ndarray) -> np.ndarray:
        return 2 * self.gamma ** keys.astype(float) / (self.gamma + 1)

    def sorted_buckets(self) -> tuple[np.ndarray, np.ndarray]:
        """(representative values ascending, counts) over all non-empty buckets."""
        neg_keys = self.negative.offset + np.arange(self.negative.counts.size)
        pos_keys = self.positive.offset + np.arange(self.positive.counts.size)
        values = np.concatenate([
            -self._representative(neg_keys[::-1]), [0.0], self._representative(pos_keys)
        ])  # fmt: skip
        counts = np.concatenate([self.negative.counts[::-1], [self.zero], self.positive.counts])
        keep = counts > 0
        return values[keep], counts[keep]

    def quantiles(self, qs: np.ndarray) -> np.ndarray:
        """Values of rank q*(n-1) (0-based), each within the relative accuracy of a true one."""
        values, counts = self.sorted_buckets()
        if counts.size == 0:
            return np.full(len(qs), np.nan)
        cumulative = np.cumsum(counts)
        ranks = np.asarray(qs) * (cumulative[-1] - 1)
        return values[np.searchsorted(cumulative, ranks, side="right")]

    def lower_tail_mean(self, k: int) -> float:
        """Approximate mean of the k smallest values (each replaced by its representative)."""
        values, counts = self.sorted_buckets()
        if k <= 0 or counts.size == 0:
            return float("nan")
        cumulative = np.cumsum(counts)
        i = int(np.searchsorted(cumulative, k, side="left"))
        full = float(values[:i] @ counts[:i]) if i else 0.0
        taken = int(cumulative[i - 1]) if i else 0
        return (full + (k - taken) * float(values[i])) / k

    def to_dict(self) -> dict:
        return {
            "relative_accuracy": self.relative_accuracy,
            "positive": self.positive.to_dict(),
            "negative": self.negative.to_dict(),
            "zero": self.zero,
        }

    @staticmethod
    def from_dict(data: dict) -> QuantileSketch:
        sketch = QuantileSketch(float(data["relative_accuracy"]))
        sketch.positive = _Store.from_dict(data["positive"])
        sketch.negative = _Store.from_dict(data["negative"])
        sketch.zero = int(data["zero"])
        return sketch

"""Building blocks: parallel moments, the quantile sketch, the bootstrap walk."""

import math

import numpy as np
import pytest

from workers.monte_carlo.engine import simulate
from workers.monte_carlo.engine.moments import block_moments, combine_all, summary
from workers.monte_carlo.engine.sketch import QuantileSketch


def test_merged_block_moments_equal_whole_sample_moments():
    x = np.random.default_rng(1).lognormal(3, 1, 10_001)
    parts = [block_moments(chunk) for chunk in np.array_split(x, 17)]
    n, mean, m2 = combine_all(parts)
    assert n == x.size
    assert mean == pytest.approx(x.mean(), rel=1e-12)
    assert m2 / (n - 1) == pytest.approx(x.var(ddof=1), rel=1e-10)
    assert summary((n, mean, m2))["standard_error"] == pytest.approx(x.std(ddof=1) / math.sqrt(n))


@pytest.mark.parametrize("alpha", [0.001, 0.01])
def test_sketch_quantiles_are_within_relative_error_of_the_true_order_statistic(alpha):
    x = np.random.default_rng(2).normal(0, 1, 20_000) * np.random.default_rng(3).lognormal(0, 2)
    sketch = QuantileSketch(alpha)
    for chunk in np.array_split(x, 5):  # merging parts equals adding everything at once
        part = QuantileSketch(alpha)
        part.add(chunk)
        sketch.merge(QuantileSketch.from_dict(part.to_dict()))
    ordered = np.sort(x)
    qs = np.array([0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999])
    for q, value in zip(qs, sketch.quantiles(qs), strict=True):
        truth = ordered[int(q * (x.size - 1))]
        assert abs(value - truth) <= alpha * abs(truth) + 1e-12
    k = 200
    assert sketch.lower_tail_mean(k) == pytest.approx(ordered[:k].mean(), rel=alpha)
    assert sketch.count == x.size


def test_bootstrap_terminal_log_return_moments():
    pool = np.random.default_rng(4).normal(0.001, 0.02, 250)
    for block_length in (1, 5):
        spec = {"model": "bootstrap", "n_simulations": 40_000, "seed": 9, "exact_limit": 40_000,
                "params": {"returns": pool.tolist(), "return_type": "log", "steps": 20,
                           "block_length": block_length, "s0": 1.0}}  # fmt: skip
        result = simulate(spec)
        expected_median = math.exp(20 * pool.mean())
        assert result["quantiles"]["p50"] == pytest.approx(expected_median, rel=0.01)
        if block_length == 1:  # iid: variance of the sum = steps * variance of the pool
            spread = math.log(result["quantiles"]["p75"] / result["quantiles"]["p25"])
            assert spread == pytest.approx(2 * 0.6745 * pool.std() * math.sqrt(20), rel=0.05)


def test_bootstrap_from_history_starts_at_the_last_level():
    spec = {"model": "bootstrap", "n_simulations": 100, "seed": 1,
            "params": {"history": [10, 11, 12.1], "steps": 2}}  # fmt: skip
    result = simulate(spec)
    assert result["sample_paths"]["paths"][0][0] == 12.1
    assert result["mean"] == pytest.approx(12.1 * 1.1**2)

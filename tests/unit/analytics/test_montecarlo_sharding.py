"""Shard planning and merging: results do not depend on the number of shards."""

import json

import pytest

from workers.monte_carlo.engine import (
    MonteCarloInputError,
    merge_shards,
    plan_shards,
    run_shard,
    simulate,
    validate_spec,
)

SPECS = {
    "gbm": {"model": "gbm", "n_simulations": 50_001, "seed": 7, "block_size": 1000,
            "thresholds": [90, 120], "path_crossing": True,
            "params": {"s0": 100, "drift": 0.03, "volatility": 0.3, "steps": 12}},
    "gbm_exact_antithetic": {"model": "gbm", "n_simulations": 9_999, "seed": 3,
                             "block_size": 512, "antithetic": True,
                             "params": {"s0": 10, "drift": 0.0, "volatility": 0.5, "steps": 5}},
    "bootstrap": {"model": "bootstrap", "n_simulations": 30_000, "seed": 11, "block_size": 2048,
                  "params": {"returns": [0.01, -0.02, 0.015, 0.003, -0.007], "steps": 20,
                             "block_length": 2}},
    "scenario": {"model": "scenario", "n_simulations": 40_000, "seed": 5, "block_size": 4096,
                 "thresholds": [0],
                 "params": {"variables": {"a": {"dist": "uniform", "low": -1, "high": 2},
                                          "b": {"dist": "pert", "low": 0, "mode": 1, "high": 4}},
                            "expression": "a * b"}},
    "gbm_sobol_barrier_control": {
        "model": "gbm", "n_simulations": 20_000, "seed": 4, "block_size": 1024,
        "sampling": "sobol", "control_variate": True, "thresholds": [80, 100, 125],
        "path_crossing": True,
        "params": {"s0": 100, "rate": 0.03, "volatility": 0.25, "steps": 24,
                   "payoff": "max(S - 100, 0)",
                   "barrier": {"kind": "up-and-out", "level": 140}}},
    "gbm_greeks_antithetic_control": {
        "model": "gbm", "n_simulations": 30_001, "seed": 8, "block_size": 2048,
        "antithetic": True, "control_variate": True,
        "params": {"s0": 50, "rate": 0.02, "dividend_yield": 0.01, "volatility": 0.3,
                   "steps": 6, "payoff": "max(45 - S, 0)",
                   "greeks": ["pathwise", "likelihood_ratio"]}},
    "gbm_barrier_greeks_antithetic": {
        "model": "gbm", "n_simulations": 20_001, "seed": 9, "block_size": 1024,
        "antithetic": True,
        "params": {"s0": 100, "rate": 0.05, "volatility": 0.2, "steps": 10,
                   "payoff": "max(S - 95, 0)", "barrier": {"kind": "down-and-in", "level": 85},
                   "greeks": ["pathwise"]}},
    "scenario_sobol": {
        "model": "scenario", "n_simulations": 10_000, "seed": 2, "block_size": 512,
        "sampling": "sobol",
        "params": {"variables": {"a": {"dist": "lognormal", "mu": 0, "sigma": 0.5},
                                 "b": {"dist": "triangular", "low": 0, "mode": 1, "high": 3}},
                   "expression": "a - b"}},
}  # fmt: skip


def _comparable(result: dict) -> str:
    body = {k: v for k, v in result.items() if k not in ("shards", "compute_seconds")}
    return json.dumps(body, sort_keys=True)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_same_seed_gives_identical_result_with_one_or_eight_shards(name):
    one = simulate(SPECS[name], n_shards=1)
    eight = simulate(SPECS[name], n_shards=8)
    assert eight["shards"] == 8
    assert _comparable(one) == _comparable(eight)


def test_merge_accepts_shards_in_any_order_and_json_round_trip():
    shards = plan_shards(SPECS["gbm"], 4)
    partials = [json.loads(json.dumps(run_shard(s))) for s in reversed(shards)]
    assert _comparable(merge_shards(partials)) == _comparable(simulate(SPECS["gbm"]))


def test_different_seeds_give_different_results():
    other = dict(SPECS["scenario"], seed=6)
    assert simulate(SPECS["scenario"])["mean"] != simulate(other)["mean"]


def test_shards_are_contiguous_block_ranges():
    shards = plan_shards(SPECS["gbm"], 3)
    ranges = [(s["shard"]["block_start"], s["shard"]["block_stop"]) for s in shards]
    assert ranges == [(0, 17), (17, 34), (34, 51)]
    assert len(plan_shards(SPECS["gbm"], 1000)) == 51  # never more shards than blocks


def test_merge_rejects_missing_or_foreign_shards():
    shards = plan_shards(SPECS["scenario"], 3)
    partials = [run_shard(s) for s in shards]
    with pytest.raises(MonteCarloInputError, match="missing"):
        merge_shards(partials[:2])
    with pytest.raises(MonteCarloInputError, match="missing or repeated"):
        merge_shards([partials[0], partials[0], partials[1], partials[2]])
    foreign = run_shard(plan_shards(dict(SPECS["scenario"], seed=99), 3)[2])
    with pytest.raises(MonteCarloInputError, match="different spec"):
        merge_shards([*partials[:2], foreign])


def test_run_shard_requires_a_planned_shard():
    with pytest.raises(MonteCarloInputError) as err:
        run_shard(SPECS["gbm"])
    assert err.value.field == "shard"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_validation_is_idempotent_so_api_and_workers_can_both_validate(name):
    once = validate_spec(SPECS[name])
    assert validate_spec(once) == once
    assert json.loads(json.dumps(once)) == once
    assert _comparable(simulate(once)) == _comparable(simulate(SPECS[name]))

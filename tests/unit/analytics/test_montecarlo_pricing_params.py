"""The pricing, barrier, Greek and sampling options: field-level errors, every one at once."""

import pytest
from marshmallow import ValidationError

from app.service import load_params
from app.workflows.registry import get_workflow
from workers.monte_carlo.engine import MonteCarloInputError, validate_spec

GBM = {"model": "gbm", "n_simulations": 1000, "seed": 1,
       "params": {"s0": 100, "rate": 0.05, "volatility": 0.2, "steps": 12,
                  "payoff": "max(S - 100, 0)"}}


def errors_of(params: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        load_params(get_workflow("monte_carlo"), params)
    return caught.value.messages["params"]


def with_params(**changes) -> dict:
    return {**GBM, "params": {**GBM["params"], **changes}}


def at(errors: dict, path: list) -> list:
    for part in path:
        assert part in errors, errors
        errors = errors[part]
    return errors


@pytest.mark.parametrize("params,path,words", [
    (with_params(rate=None), ["params", "drift"], "unless rate"),
    (with_params(rate="5%"), ["params", "rate"], "number"),
    (with_params(dividend_yield=float("nan")), ["params", "dividend_yield"], "finite"),
    (with_params(rate=400.0), ["params", "rate"], "horizon"),
    (with_params(discount="maybe"), ["params", "discount"], "boolean"),
    (with_params(monitoring="weekly"), ["params", "monitoring"], "continuous"),
    (with_params(barrier={"kind": "sideways", "level": 120}), ["params", "barrier", "kind"],
     "up-and-out"),
    (with_params(barrier={"kind": "up-and-out"}), ["params", "barrier", "level"], "required"),
    (with_params(barrier={"kind": "up-and-out", "level": 90}), ["params", "barrier", "level"],
     "above s0"),
    (with_params(barrier={"kind": "down-and-in", "level": 100}),
     ["params", "barrier", "level"], "below s0"),
    (with_params(greeks=["finite_difference"]), ["params", "greeks", 0], "pathwise"),
    (with_params(greeks=["pathwise", "pathwise"]), ["params", "greeks"], "repeat"),
    (with_params(greeks=["likelihood_ratio"], barrier={"kind": "up-and-out", "level": 120}),
     ["params", "greeks"], "without a barrier"),
    (with_params(greeks=["pathwise"], barrier={"kind": "up-and-out", "level": 120},
                 monitoring="discrete"), ["params", "greeks"], "continuous monitoring"),
    (with_params(greeks=["pathwise"], volatility=0), ["params", "greeks"], "volatility > 0"),
    ({**GBM, "sampling": "lattice"}, ["sampling"], "sobol"),
    ({**GBM, "sampling": "sobol", "antithetic": True}, ["antithetic"], "sobol"),
    ({**with_params(steps=30_000), "sampling": "sobol", "n_simulations": 10},
     ["params", "steps"], "21201"),
    ({"model": "bootstrap", "n_simulations": 10, "sampling": "sobol",
      "params": {"returns": [0.01, -0.02]}}, ["sampling"], "gbm and scenario"),
    ({"model": "bootstrap", "n_simulations": 10, "control_variate": True,
      "params": {"returns": [0.01, -0.02]}}, ["control_variate"], "gbm"),
    ({**GBM, "control_variate": "maybe"}, ["control_variate"], "boolean"),
])
def test_bad_pricing_options_are_field_level_errors(params, path, words):
    messages = at(errors_of(params), path)
    assert any(words in m for m in messages), messages


def test_sobol_blocks_are_powers_of_two():
    with pytest.raises(MonteCarloInputError) as caught:
        validate_spec({**GBM, "sampling": "sobol", "block_size": 1000})
    assert caught.value.field == "block_size"


def test_errors_in_several_pricing_fields_come_back_together():
    errors = errors_of({**GBM, "sampling": "sobol",
                        "params": {**GBM["params"], "monitoring": "weekly",
                                   "barrier": {"kind": "up-and-out", "level": -1}}})
    assert {"monitoring", "barrier"} <= set(errors["params"])


def test_risk_neutral_drift_and_defaults_are_written_into_the_normalised_spec():
    spec = validate_spec(with_params(dividend_yield=0.02))
    p = spec["params"]
    assert p["drift"] == pytest.approx(0.03)
    assert (p["discount"], p["monitoring"], p["barrier"], p["greeks"]) == \
        (True, "continuous", None, [])
    assert (spec["sampling"], spec["control_variate"]) == ("pseudo", False)
    assert validate_spec(spec) == spec
    explicit = validate_spec(with_params(drift=0.08))["params"]
    assert explicit["drift"] == 0.08 and explicit["rate"] == 0.05


def test_a_bootstrap_barrier_is_monitored_at_the_steps():
    loaded = load_params(get_workflow("monte_carlo"), {
        "model": "bootstrap", "n_simulations": 10,
        "params": {"returns": [0.01, -0.02], "barrier": {"kind": "down-and-out",
                                                         "level": 0.5}}})  # fmt: skip
    assert loaded["params"]["barrier"] == {"kind": "down-and-out", "level": 0.5}

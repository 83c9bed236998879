"""``monte_carlo``: GBM, bootstrap and declarative scenario simulations, split into shards that
run as a group on the analytics queue and are merged by a chord callback. The same seed gives
the same result whatever the number of shards (see ``workers/monte_carlo/engine``)."""

from __future__ import annotations

import math

from celery import chord, group
from marshmallow import Schema, fields, post_load, validate

from app.workflows.fields import nested_error
from app.workflows.monte_carlo import steps
from app.workflows.monte_carlo.errors import MonteCarloInputError
from app.workflows.monte_carlo.planning import plan_shards
from app.workflows.monte_carlo.validation import validate_spec
from app.workflows.registry import Plan, Workflow, register

MAX_SHARDS = 256
MAX_PATH_STEPS = 2e11  # about an hour of one core: beyond that, split the study
PATH_STEPS_PER_SHARD = 2e8  # a few seconds of one core per shard


class MonteCarloParams(Schema):
    model = fields.String(required=True, validate=validate.OneOf(("gbm", "bootstrap",
                                                                  "scenario")))
    n_simulations = fields.Integer(required=True, validate=validate.Range(1, 1_000_000_000))
    seed = fields.Integer(load_default=None, allow_none=True, metadata={
        "description": "Fixes the result; drawn and recorded when absent"})
    shards = fields.Integer(load_default=None, allow_none=True,
                            validate=validate.Range(1, MAX_SHARDS), metadata={
                                "description": "Parallel pieces (default: by amount of work)"})
    params = fields.Dict(required=True, metadata={
        "description": "gbm: s0, drift, volatility, horizon, steps; bootstrap: returns or "
                       "history, s0, steps, return_type; scenario: variables (name → "
                       "distribution), correlations, expression"})
    antithetic = fields.Boolean(load_default=False)
    # the lengths validate_spec allows, declared here so they are checked before the items
    thresholds = fields.List(fields.Float(), load_default=list,
                             validate=validate.Length(max=100))
    quantiles = fields.List(fields.Float(), load_default=None,
                            validate=validate.Length(max=200))
    var_levels = fields.List(fields.Float(), load_default=None,
                             validate=validate.Length(max=200))
    histogram_bins = fields.Integer(load_default=None)
    sample_paths = fields.Integer(load_default=None)
    fan_quantiles = fields.List(fields.Float(), load_default=None,
                                validate=validate.Length(max=200))
    fan_points = fields.Integer(load_default=None)
    path_crossing = fields.Boolean(load_default=None, metadata={
        "description": "Threshold probabilities count any crossing along the path"})

    @post_load
    def normalise(self, data, **kwargs):
        shards = data.pop("shards")
        spec = {k: v for k, v in data.items() if v is not None}
        try:
            normalised = validate_spec(spec)
        except MonteCarloInputError as exc:
            raise nested_error(exc.field, exc.message) from None
        steps = normalised["params"].get("steps", 1)
        work = normalised["n_simulations"] * steps
        if work > MAX_PATH_STEPS:
            raise nested_error("n_simulations", f"n_simulations × steps = {work:.3g} exceeds "
                                                f"the limit of {MAX_PATH_STEPS:.0e} path-steps")
        normalised["shards"] = shards or max(1, min(MAX_SHARDS, math.ceil(
            work / PATH_STEPS_PER_SHARD)))
        return normalised


def build(plan: Plan, params: dict):
    spec = {k: v for k, v in params.items() if k != "shards"}
    try:
        shards = plan_shards(spec, params["shards"])
    except MonteCarloInputError as exc:
        raise nested_error(exc.field, exc.message) from None
    header = group([plan.step(steps.SHARD, f"shard-{i:04d}", shard, fan_in=True)
                    for i, shard in enumerate(shards)])
    return chord(header, plan.step(steps.MERGE, "merge", n_shards=len(shards)))


register(Workflow(name="monte_carlo",
                  description="Monte Carlo simulation (GBM, bootstrap of returns, or a "
                              "declarative scenario of distributions combined by an expression)"
                              ": moments, quantiles, threshold probabilities, VaR/CVaR, "
                              "histogram and fan chart; sharded across workers.",
                  schema=MonteCarloParams, build=build, steps=(steps.SHARD, steps.MERGE)))

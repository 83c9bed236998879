"""``monte_carlo``: GBM, bootstrap and declarative scenario simulations, split into shards that
run as a group on the analytics queue and are merged by a chord callback. The same seed gives
the same result whatever the number of shards (see ``workers/monte_carlo/engine``)."""

from __future__ import annotations

import math

from celery import chord, group
from marshmallow import Schema, fields, post_load, validate, validates_schema

from app.workflows.fields import discriminator, nested_error
from app.workflows.monte_carlo import steps
from app.workflows.monte_carlo.errors import MonteCarloInputError
from app.workflows.monte_carlo.examples import EXAMPLES
from app.workflows.monte_carlo.planning import plan_shards
from app.workflows.monte_carlo.schemas import MODEL_PARAMS
from app.workflows.monte_carlo.validation import (
    DEFAULTS,
    INTEGER_OPTIONS,
    MAX_PERCENTAGES,
    MAX_SEED,
    MAX_SIMULATIONS,
    MAX_THRESHOLDS,
    PERCENT_OPTIONS,
    SAMPLING,
    validate_params,
    validate_spec,
)
from app.workflows.oneof import OneOfSchema
from app.workflows.registry import Plan, Workflow, register

MAX_SHARDS = 256
MAX_PATH_STEPS = 2e11  # about an hour of one core: beyond that, split the study
PATH_STEPS_PER_SHARD = 2e8  # a few seconds of one core per shard


def percentages(name: str, description: str) -> fields.List:
    item = fields.Float(validate=validate.Range(PERCENT_OPTIONS[name], 100, min_inclusive=False,
                                                max_inclusive=False))
    return fields.List(item, load_default=None, validate=validate.Length(max=MAX_PERCENTAGES),
                       metadata={"default": DEFAULTS[name], "description": description})


def integer_option(name: str, description: str) -> fields.Integer:
    return fields.Integer(load_default=None, validate=validate.Range(*INTEGER_OPTIONS[name]),
                          metadata={"default": DEFAULTS[name], "description": description})


class Simulation(Schema):
    """What every model's request has besides ``model`` and ``params``."""

    n_simulations = fields.Integer(required=True, validate=validate.Range(1, MAX_SIMULATIONS))
    seed = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, MAX_SEED),
                          metadata={"description": "Fixes the result; drawn and recorded when "
                                                   "absent"})
    shards = fields.Integer(load_default=None, allow_none=True,
                            validate=validate.Range(1, MAX_SHARDS), metadata={
                                "description": "Parallel pieces (default: by amount of work)"})
    antithetic = fields.Boolean(load_default=False, metadata={
        "description": "Antithetic variates (not for bootstrap)"})
    thresholds = fields.List(fields.Float(), load_default=list,
                             validate=validate.Length(max=MAX_THRESHOLDS), metadata={
                                 "description": "Outcomes whose exceedance probability is "
                                                "reported"})
    quantiles = percentages("quantiles", "Percentiles of the outcome reported")
    var_levels = percentages("var_levels", "Confidence levels of VaR and CVaR (percent)")
    histogram_bins = integer_option("histogram_bins", "Bins of the outcome histogram")
    sample_paths = integer_option("sample_paths", "Paths returned as samples")
    fan_quantiles = percentages("fan_quantiles", "Percentiles of the fan chart over time")
    fan_points = integer_option("fan_points", "Time points of the fan chart")
    path_crossing = fields.Boolean(load_default=None, metadata={
        "description": "Threshold probabilities count any crossing along the path"})
    sampling = fields.String(load_default=None, validate=validate.OneOf(SAMPLING), metadata={
        "default": DEFAULTS["sampling"],
        "description": "pseudo: independent random paths; sobol: randomized quasi-Monte Carlo "
                       "(scrambled Sobol points, Brownian-bridge paths; gbm and scenario), "
                       "one independent scramble per block"})
    control_variate = fields.Boolean(load_default=None, metadata={
        "default": DEFAULTS["control_variate"],
        "description": "Adjust the mean by the terminal price, whose mean is known (gbm)"})

    @validates_schema(skip_on_field_errors=True)
    def _amount_of_work(self, data: dict, **kwargs) -> None:
        if "params" not in data:  # the common fields alone (model unknown)
            return
        steps = validate_params(data["model"], data["params"]).get("steps", 1)
        work = data["n_simulations"] * steps
        if work > MAX_PATH_STEPS:
            raise nested_error("n_simulations", f"n_simulations × steps = {work:.3g} exceeds "
                                                f"the limit of {MAX_PATH_STEPS:.0e} path-steps")

    @post_load
    def normalise(self, data, **kwargs):
        shards = data.pop("shards")
        spec = {k: v for k, v in data.items() if v is not None}
        try:
            normalised = validate_spec(spec)
        except MonteCarloInputError as exc:
            raise nested_error(exc.field, exc.message) from None
        work = normalised["n_simulations"] * normalised["params"].get("steps", 1)
        normalised["shards"] = shards or max(1, min(MAX_SHARDS, math.ceil(
            work / PATH_STEPS_PER_SHARD)))
        return normalised


def simulation(model: str, params: type[Schema]) -> type[Schema]:
    """The request schema of one model: the common fields, ``model`` and its ``params``."""
    name = params.__name__.removesuffix("Params")
    return Simulation.from_dict({
        "model": discriminator(model),
        "params": fields.Nested(params, required=True, metadata={
            "description": f"Parameters of the {model} model"})}, name=f"{name}Simulation")


class MonteCarloParams(OneOfSchema):
    discriminator = "model"
    common = Simulation
    variants = {model: simulation(model, params) for model, params in MODEL_PARAMS.items()}


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
                  schema=MonteCarloParams, build=build, steps=(steps.SHARD, steps.MERGE),
                  examples=EXAMPLES))

"""What ``params`` holds for each model, as marshmallow schemas: the JSON schema clients,
the dashboard and the MCP server read (``oneOf`` by ``model``), and the field-level checks
that run before the engine's (``validation.py``, which stays the authority on ranges and
on everything that involves several fields)."""

from __future__ import annotations

from typing import ClassVar

from marshmallow import Schema, fields, validate, validates_schema

from app.workflows.fields import EngineErrors, Number, NumberList, discriminator
from app.workflows.monte_carlo.distributions import PARAMETERS
from app.workflows.monte_carlo.expression import FUNCTIONS, MAX_LENGTH
from app.workflows.monte_carlo.pricing import (
    BARRIER_KINDS,
    GREEK_METHODS,
    MONITORING,
    PRICING_DEFAULTS,
)
from app.workflows.monte_carlo.validation import (
    MAX_STEPS,
    MAX_VARIABLES,
    PATH_DEFAULTS,
    RETURN_TYPES,
    validate_params,
)
from app.workflows.oneof import OneOfSchema

POSITIVE = validate.Range(min=0, min_inclusive=False)
FUNCTION_NAMES = ", ".join(sorted(FUNCTIONS))


def expression_field(description: str, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=MAX_LENGTH), **kwargs, metadata={
        "description": f"{description}; + - * / // % **, numbers and {FUNCTION_NAMES}"})


class ModelParams(Schema):
    """The params of one model; once their fields are fine, the engine checks them whole."""

    engine_model: ClassVar[str]

    @validates_schema(skip_on_field_errors=True)
    def _engine_checks(self, data: dict, **kwargs) -> None:
        errors = EngineErrors()
        with errors.check():
            validate_params(self.engine_model, data, path="")
        errors.raise_any()


class Barrier(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(BARRIER_KINDS), metadata={
        "description": "up/down: the side the barrier lies on; in/out: the payoff counts only "
                       "if the price touched it / never touched it"})
    level = Number(required=True, validate=POSITIVE, metadata={
        "description": "Barrier price: above s0 for up, below s0 for down"})


class PathParams(ModelParams):
    """What both price-path models take."""

    barrier = fields.Nested(Barrier, allow_none=True, metadata={
        "description": "A knock-in or knock-out barrier applied to the payoff (no rebate)"})

    steps = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, MAX_STEPS),
                           metadata={"default": PATH_DEFAULTS["steps"],
                                     "description": "Time steps per path"})
    payoff = expression_field("Outcome of a path from its final price S, e.g. max(S - 100, 0) "
                              "(default: S itself)", allow_none=True)


class GbmParams(PathParams):
    engine_model = "gbm"
    s0 = Number(required=True, validate=POSITIVE, metadata={"description": "Price at time 0"})
    drift = Number(allow_none=True, metadata={
        "description": "Drift per unit of time (μ); required unless rate is given, then it is "
                       "rate − dividend_yield (risk-neutral)"})
    rate = Number(allow_none=True, metadata={
        "default": PRICING_DEFAULTS["rate"],
        "description": "Continuously compounded risk-free rate per unit of time"})
    dividend_yield = Number(allow_none=True, metadata={
        "default": PRICING_DEFAULTS["dividend_yield"],
        "description": "Continuous dividend yield per unit of time"})
    discount = fields.Boolean(allow_none=True, metadata={
        "default": PRICING_DEFAULTS["discount"],
        "description": "Discount a payoff by exp(−rate·horizon) (a price S is never "
                       "discounted)"})
    monitoring = fields.String(allow_none=True, validate=validate.OneOf(MONITORING), metadata={
        "default": PRICING_DEFAULTS["monitoring"],
        "description": "Barriers and threshold crossings: continuous (Brownian-bridge "
                       "correction between steps) or discrete (at the steps only)"})
    greeks = fields.List(fields.String(validate=validate.OneOf(GREEK_METHODS)),
                         allow_none=True, validate=validate.Length(max=len(GREEK_METHODS)),
                         metadata={"default": PRICING_DEFAULTS["greeks"],
                                   "description": "Estimators of delta and vega of the payoff, "
                                                  "with standard errors (with a barrier: "
                                                  "pathwise, continuous monitoring)"})
    volatility = Number(required=True, validate=validate.Range(min=0),
                        metadata={"description": "Volatility per unit of time (σ)"})
    horizon = Number(allow_none=True, validate=POSITIVE, metadata={
        "default": PATH_DEFAULTS["horizon"], "description": "Time simulated, in the unit of "
                                                            "drift and volatility"})


class BootstrapParams(PathParams):
    engine_model = "bootstrap"
    returns = NumberList(allow_none=True, validate=validate.Length(min=2), metadata={
        "description": "Past returns to resample (give this or history)"})
    history = NumberList(allow_none=True, validate=validate.Length(min=3), metadata={
        "description": "Past price levels, all > 0 (give this or returns)"})
    return_type = fields.String(allow_none=True, validate=validate.OneOf(RETURN_TYPES),
                                metadata={"default": PATH_DEFAULTS["return_type"],
                                          "description": "How returns are given: simple "
                                                         "(> -1) or log"})
    s0 = Number(allow_none=True, validate=POSITIVE, metadata={
        "description": "Price at time 0 (default: the last history level, else 1)"})
    block_length = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1),
                                  metadata={"default": PATH_DEFAULTS["block_length"],
                                            "description": "Consecutive returns drawn "
                                                           "together (at most their number)"})


def distribution(name: str, parameters: tuple[str, ...]) -> type[Schema]:
    """The schema of one kind of marginal distribution, from its parameter names."""
    declared: dict[str, fields.Field] = {"dist": discriminator(name)}
    for key in parameters:
        declared[key] = (NumberList(required=True, validate=validate.Length(min=1))
                         if key == "values" else Number(required=True))
    return Schema.from_dict(declared, name=f"{name.capitalize()}Distribution")


class Distribution(OneOfSchema):
    discriminator = "dist"
    variants = {name: distribution(name, parameters) for name, parameters in PARAMETERS.items()}


class Correlation(Schema):
    variables = fields.List(fields.String(), required=True, metadata={
        "description": "Names of the correlated variables, in the matrix's order"})
    matrix = fields.List(NumberList(), required=True, metadata={
        "description": "Correlation matrix (rows), symmetric with ones on the diagonal"})


class ScenarioParams(ModelParams):
    engine_model = "scenario"
    variables = fields.Dict(
        keys=fields.String(), values=fields.Nested(Distribution), required=True, metadata={
            "description": f"1 to {MAX_VARIABLES} variables: name → distribution"})
    expression = expression_field("The outcome, from the variables, e.g. units * price - cost",
                                  required=True)
    correlation = fields.Nested(Correlation, allow_none=True, metadata={
        "description": "Gaussian-copula correlation between some of the variables"})


#: the schema of ``params`` of each model
MODEL_PARAMS: dict[str, type[ModelParams]] = {
    schema.engine_model: schema for schema in (GbmParams, BootstrapParams, ScenarioParams)}

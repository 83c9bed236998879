"""``scenario_forecast``: fit a forecast to one series, then simulate future paths from the
fitted model (residual bootstrap or normal errors) for fan-chart quantiles and threshold
probabilities."""

from __future__ import annotations

import secrets

from marshmallow import Schema, fields, post_load, validate, validates_schema

from app.workflows.fields import EngineErrors, nested_error
from app.workflows.forecast import steps
from app.workflows.forecast.errors import ForecastInputError
from app.workflows.forecast.examples import SCENARIO_FORECAST
from app.workflows.forecast.series import ScenarioSeries, check_series
from app.workflows.forecast.validation import MAX_CELLS, validate_series
from app.workflows.registry import Plan, Workflow, register


class ScenarioForecastParams(Schema):
    series = fields.Nested(ScenarioSeries, required=True, metadata={
        "description": "One series as in the forecast workflow, with its horizon"})
    n_paths = fields.Integer(load_default=5000, validate=validate.Range(1, 1_000_000))
    seed = fields.Integer(load_default=None, allow_none=True,
                          validate=validate.Range(0, 2**63 - 1))
    method = fields.String(load_default="bootstrap",
                           validate=validate.OneOf(("bootstrap", "normal")))
    thresholds = fields.List(fields.Float(), load_default=list,
                             validate=validate.Length(max=100))
    fan_quantiles = fields.List(fields.Float(validate=validate.Range(0, 100, min_inclusive=False,
                                                                     max_inclusive=False)),
                                load_default=lambda: [5, 25, 50, 75, 95],
                                validate=validate.Length(min=1, max=50))
    sample_paths = fields.Integer(load_default=10, validate=validate.Range(0, 100))
    per_step_probabilities = fields.Boolean(load_default=True)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _engine_checks(self, data: dict, original_data: dict, **kwargs) -> None:
        """The engine's check of the series and the size of the simulation, reported
        together with any field errors."""
        if "series" not in data:
            return
        errors = EngineErrors()
        check_series(errors, ScenarioSeries, original_data["series"], "series")
        if "n_paths" in data and "horizon" in data["series"]:
            with errors.check():
                if data["n_paths"] * data["series"]["horizon"] > MAX_CELLS:
                    raise ForecastInputError("n_paths",
                                             f"n_paths × horizon must be at most {MAX_CELLS:,}")
        errors.raise_any()

    @post_load
    def normalise(self, data, **kwargs):
        try:
            series = validate_series(data["series"], "series")
        except ForecastInputError as exc:
            raise nested_error(exc.field, exc.message) from None
        if data["seed"] is None:
            data["seed"] = secrets.randbelow(2**63)  # recorded, so the run can be repeated
        return {**data, "series": series}


def build(plan: Plan, params: dict):
    return plan.step(steps.SCENARIO, "simulate", params)


register(Workflow(name="scenario_forecast",
                  description="Fit a forecast, then simulate future paths from the fitted "
                              "model: fan-chart quantiles and threshold probabilities.",
                  schema=ScenarioForecastParams, build=build, steps=(steps.SCENARIO,),
                  examples=SCENARIO_FORECAST))

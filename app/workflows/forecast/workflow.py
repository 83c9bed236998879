"""``forecast``: one or many series forecast by ETS, Theta, ARIMA, naive models, their
combination, or an automatic choice (``workers/forecast/engine``), fanned out in groups of
series and gathered by a chord."""

from __future__ import annotations

from celery import chord, group
from marshmallow import Schema, fields, post_load, validate, validates_schema

from app.settings import get_settings
from app.workflows.fields import EngineErrors, nested_error
from app.workflows.forecast import steps
from app.workflows.forecast.errors import ForecastInputError
from app.workflows.forecast.examples import FORECAST
from app.workflows.forecast.series import SeriesSpec, check_series, levels_field, periods_field
from app.workflows.forecast.validation import MODELS, TRANSFORMS, validate_series
from app.workflows.registry import Plan, Workflow, register

MAX_SERIES = 2_000
SERIES_DEFAULTS = ("horizon", "season_length", "model", "levels", "frequency",
                   "backtest_origins", "transform", "seasonal_periods")


class ForecastParams(Schema):
    series = fields.List(fields.Nested(SeriesSpec), required=True,
                         validate=validate.Length(min=1, max=MAX_SERIES), metadata={
                             "description": "The series; each may override the defaults "
                                            "below"})
    horizon = fields.Integer(load_default=None, validate=validate.Range(1, 1000),
                             metadata={"description": "Steps ahead (default for every series)"})
    season_length = fields.Integer(load_default=None, validate=validate.Range(1, 1000),
                                   metadata={"description": "Detected when absent"})
    model = fields.String(load_default="auto", validate=validate.OneOf(MODELS))
    levels = levels_field(load_default=None)
    frequency = fields.String(load_default=None, metadata={
        "description": "Pandas frequency alias (M, Q, D, W, …) when there are no timestamps"})
    backtest_origins = fields.Integer(load_default=None, validate=validate.Range(0, 20))
    transform = fields.String(load_default=None, validate=validate.OneOf(TRANSFORMS),
                              metadata={"description": "Fit on a log scale (auto: when the "
                                                       "data are positive)"})
    seasonal_periods = periods_field(load_default=None)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _engine_checks(self, data: dict, original_data: dict, **kwargs) -> None:
        """The engine's checks of every series whose own fields are fine, reported together
        with any field errors (not when a default is wrong: it would be blamed on them)."""
        if "series" not in data or any(k in original_data and k not in data
                                       for k in SERIES_DEFAULTS):
            return
        errors = EngineErrors()
        for i, raw in enumerate(original_data["series"]):
            check_series(errors, SeriesSpec, raw, f"series.{i}", defaults(data))
        errors.raise_any()

    @post_load
    def normalise(self, data, **kwargs):
        series = []
        for i, raw in enumerate(data["series"]):
            try:
                normalised = validate_series({**defaults(data), **raw}, f"series.{i}")
            except ForecastInputError as exc:
                raise nested_error(exc.field, exc.message) from None
            series.append({"name": raw.get("name", str(i)), **normalised})
        return {"series": series}


def defaults(data: dict) -> dict:
    """What the series inherit from the top level unless they override it."""
    return {k: data[k] for k in SERIES_DEFAULTS if data.get(k) is not None}


def build(plan: Plan, params: dict):
    series = params["series"]
    size = get_settings().forecast_series_per_step
    header = group([plan.step(steps.SERIES_BATCH, f"series-{i // size:05d}",
                              series[i:i + size], i, fan_in=True)
                    for i in range(0, len(series), size)])
    return chord(header, plan.step(steps.GATHER, "gather",
                                   n_series=len(series)))


register(Workflow(name="forecast",
                  description="Forecasts with prediction intervals, the chosen model and its "
                              "parameters, in-sample fit and rolling-origin backtest (sMAPE, "
                              "MASE) for one or many series.",
                  schema=ForecastParams, build=build, steps=(steps.SERIES_BATCH, steps.GATHER),
                  examples=FORECAST))

"""``forecast``: one or many series forecast by ETS, Theta, ARIMA, naive models, their
combination, or an automatic choice (``workers/forecast/engine``), fanned out in groups of
series and gathered by a chord."""

from __future__ import annotations

from marshmallow import fields, validate

from app.settings import get_settings
from app.workflows.forecast import steps
from app.workflows.forecast.errors import ForecastInputError
from app.workflows.forecast.examples import FORECAST
from app.workflows.forecast.series import SeriesSpec, levels_field, periods_field
from app.workflows.forecast.validation import MODELS, TRANSFORMS, validate_series
from app.workflows.registry import Plan, Workflow, register
from app.workflows.series_list import SeriesListParams, series_chord

MAX_SERIES = 2_000
SERIES_DEFAULTS = ("horizon", "season_length", "model", "levels", "frequency",
                   "backtest_origins", "transform", "seasonal_periods")


class ForecastParams(SeriesListParams):
    series_schema = SeriesSpec
    series_defaults = SERIES_DEFAULTS
    validate_series = validate_series
    input_error = ForecastInputError

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


def build(plan: Plan, params: dict):
    return series_chord(plan, steps.SERIES_BATCH, steps.GATHER, params["series"],
                        get_settings().forecast_series_per_step)


register(Workflow(name="forecast",
                  description="Forecasts with prediction intervals, the chosen model and its "
                              "parameters, in-sample fit and rolling-origin backtest (sMAPE, "
                              "MASE) for one or many series.",
                  schema=ForecastParams, build=build, steps=(steps.SERIES_BATCH, steps.GATHER),
                  examples=FORECAST))

"""``forecast``: one or many series forecast by ETS, Theta, ARIMA, naive models, their
combination, or an automatic choice (``workers/forecast/engine``), fanned out in groups of
series and gathered by a chord."""

from __future__ import annotations

from celery import chord, group
from marshmallow import Schema, fields, post_load, validate

from app.settings import get_settings
from app.workflows.fields import nested_error
from app.workflows.forecast import steps
from app.workflows.forecast.errors import ForecastInputError
from app.workflows.forecast.validation import MODELS, validate_series
from app.workflows.registry import Plan, Workflow, register

MAX_SERIES = 2_000
SERIES_DEFAULTS = ("horizon", "season_length", "model", "levels", "frequency",
                   "backtest_origins", "transform")


class ForecastParams(Schema):
    series = fields.List(fields.Dict(), required=True,
                         validate=validate.Length(min=1, max=MAX_SERIES), metadata={
                             "description": "Series: {values, timestamps? | frequency?, name?, "
                                            "and any of the defaults below to override them}"})
    horizon = fields.Integer(load_default=None, validate=validate.Range(1, 1000),
                             metadata={"description": "Steps ahead (default for every series)"})
    season_length = fields.Integer(load_default=None, validate=validate.Range(1, 1000),
                                   metadata={"description": "Detected when absent"})
    model = fields.String(load_default="auto", validate=validate.OneOf(MODELS))
    levels = fields.List(fields.Float(), load_default=None,
                         metadata={"description": "Prediction interval levels, e.g. [80, 95]"})
    frequency = fields.String(load_default=None, metadata={
        "description": "Pandas frequency alias (M, Q, D, W, …) when there are no timestamps"})
    backtest_origins = fields.Integer(load_default=None, validate=validate.Range(0, 20))
    transform = fields.String(load_default=None, validate=validate.OneOf(("auto", "log", "none")),
                              metadata={"description": "Fit on a log scale (auto: when the "
                                                       "data are positive)"})

    @post_load
    def normalise(self, data, **kwargs):
        defaults = {k: data[k] for k in SERIES_DEFAULTS if data.get(k) is not None}
        series = []
        for i, raw in enumerate(data["series"]):
            name = raw.get("name", str(i))
            spec = {**defaults, **{k: v for k, v in raw.items() if k != "name"}}
            try:
                normalised = validate_series(spec, f"series.{i}")
            except ForecastInputError as exc:
                raise nested_error(exc.field, exc.message) from None
            if not isinstance(name, str) or not 0 < len(name) <= 200:
                raise nested_error(f"series.{i}.name", "must be a string of 1–200 characters")
            series.append({"name": name, **normalised})
        return {"series": series}


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
                  schema=ForecastParams, build=build, steps=(steps.SERIES_BATCH, steps.GATHER)))

"""The schema of one series (an item of ``forecast``'s ``series``, ``scenario_forecast``'s
``series``): what clients, the dashboard and the MCP server read, and the field-level checks
that run before the engine's (``validation.py``, the authority on the rest: timestamps in
order, enough observed values, frequency aliases, ...)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from app.workflows.fields import EngineErrors, Number, NumberList
from app.workflows.forecast.validation import (
    MAX_HORIZON,
    MAX_LEVELS,
    MAX_PERIODS,
    MAX_VALUES,
    MODELS,
    TRANSFORMS,
    validate_series,
)

PERCENT = validate.Range(0, 100, min_inclusive=False, max_inclusive=False)


def horizon_field(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_HORIZON), **kwargs,
                          metadata={"description": "Steps ahead"})


def periods_field(**kwargs: Any) -> fields.List:
    return fields.List(Number(validate=validate.Range(1, min_inclusive=False)),
                       validate=validate.Length(1, MAX_PERIODS), **kwargs, metadata={
                           "description": "Periods of long or multiple seasons, e.g. [24, 168] "
                                          "for hourly data or [52.18] for weekly (default: the "
                                          "season length, plus a second period when the "
                                          "series is long enough)"})


def levels_field(**kwargs: Any) -> fields.List:
    return fields.List(Number(validate=PERCENT), validate=validate.Length(max=MAX_LEVELS),
                       **kwargs, metadata={"description": "Prediction interval levels in "
                                                          "percent, e.g. [80, 95]"})


class SeriesSpec(Schema):
    values = NumberList(nullable_items=True, required=True,
                        validate=validate.Length(max=MAX_VALUES), metadata={
                            "description": "Observations in time order (null: missing); at "
                                           "least 2 observed, at most half missing"})
    timestamps = fields.List(fields.String(), allow_none=True, metadata={
        "description": "One ISO 8601 time per value, strictly increasing (or give frequency)"})
    frequency = fields.String(allow_none=True, metadata={
        "description": "Pandas frequency alias (D, W, MS, QS, YS, h, …; M, Q and Y too) when "
                       "there are no timestamps"})
    name = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "Name in the result (default: the series' position)"})
    horizon = horizon_field()
    season_length = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1),
                                   metadata={"description": "Detected when absent; at most "
                                                            "the number of values"})
    model = fields.String(validate=validate.OneOf(MODELS))
    transform = fields.String(validate=validate.OneOf(TRANSFORMS), metadata={
        "description": "Fit on a log scale (auto: when the data are positive)"})
    levels = levels_field(allow_none=True)
    backtest_origins = fields.Integer(strict=True, validate=validate.Range(0, 20), metadata={
        "description": "Rolling-origin backtest folds"})
    seasonal_periods = periods_field(allow_none=True)


class ScenarioSeries(SeriesSpec):
    horizon = horizon_field(required=True)


def check_series(errors: EngineErrors, schema: type[Schema], raw: Any, path: str,
                 defaults: dict | None = None) -> None:
    """The engine's check of one series as sent (with the ``defaults`` it does not
    override), gathered into ``errors``. Skipped when the series' own fields are wrong:
    their errors are reported already, and a clean series is exactly what was sent."""
    if not schema().validate(raw):
        with errors.check():
            validate_series({**(defaults or {}), **raw}, path)

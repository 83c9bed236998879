"""``anomaly``: which points of one or many series are abnormal (spikes, level shifts,
variance changes) and where the series change (``workers/anomaly/engine``), in ``batch``
mode (the whole series known) or ``streaming`` mode (each point judged from the points before
it, as a monitor must); series fan out in groups gathered in order by a chord."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.settings import get_settings
from app.workflows.anomaly import steps
from app.workflows.anomaly.errors import AnomalyInputError
from app.workflows.anomaly.examples import ANOMALY
from app.workflows.anomaly.validation import (
    MAX_SEASON,
    MAX_SERIES,
    MAX_VALUES,
    MIN_OBSERVED,
    MODES,
    validate_series,
)
from app.workflows.fields import Number, NumberList
from app.workflows.registry import Plan, Workflow, register
from app.workflows.series_list import SeriesListParams, series_chord

SERIES_DEFAULTS = ("mode", "season_length", "sensitivity")


def _mode(**kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(MODES), **kwargs, metadata={
        "description": "batch: the whole series is known (seasonal decomposition, robust "
                       "ESD, binary segmentation); streaming: each point is judged from the "
                       "points before it only"})


def _season(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, allow_none=True, validate=validate.Range(2, MAX_SEASON),
                          **kwargs, metadata={"description": "Points per season (e.g. 24 "
                                              "for hourly data with a daily cycle); batch "
                                              "mode detects it when absent, at most half the "
                                              "values"})


def _sensitivity(**kwargs) -> Number:
    return Number(allow_none=True, validate=validate.Range(0, 1), **kwargs, metadata={
        "description": "0 to 1 (default 0.5, the setting tuned on NAB): higher finds more "
                       "anomalies"})


class AnomalySeries(Schema):
    values = NumberList(nullable_items=True, required=True,
                        validate=validate.Length(max=MAX_VALUES), metadata={
                            "description": f"Observations in time order (null: missing); at "
                                           f"least {MIN_OBSERVED} observed, at most half "
                                           "missing"})
    timestamps = fields.List(fields.String(), allow_none=True, metadata={
        "description": "One ISO 8601 time per value, strictly increasing; anomalies then "
                       "carry their timestamp"})
    name = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "Name in the result (default: the series' position)"})
    mode = _mode()
    season_length = _season()
    sensitivity = _sensitivity()


class AnomalyParams(SeriesListParams):
    series_schema = AnomalySeries
    series_defaults = SERIES_DEFAULTS
    validate_series = validate_series
    input_error = AnomalyInputError
    null_means_default = True

    series = fields.List(fields.Nested(AnomalySeries), required=True,
                         validate=validate.Length(min=1, max=MAX_SERIES), metadata={
                             "description": "The series; each may override the defaults "
                                            "below"})
    mode = _mode(load_default="batch")
    season_length = _season(load_default=None)
    sensitivity = _sensitivity(load_default=None)


def build(plan: Plan, params: dict):
    return series_chord(plan, steps.SERIES_BATCH, steps.GATHER, params["series"],
                        get_settings().anomaly_series_per_step)


register(Workflow(name="anomaly",
                  description="Anomalies (spikes, level shifts, variance changes), change "
                              "points with the segment statistics on either side, and a "
                              "score per point for one or many series, in batch or "
                              "streaming mode.",
                  schema=AnomalyParams, build=build, steps=(steps.SERIES_BATCH, steps.GATHER),
                  examples=ANOMALY))

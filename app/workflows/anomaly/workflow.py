"""``anomaly``: which points of one or many series are abnormal (spikes, level shifts,
variance changes) and where the series change (``workers/anomaly/engine``), in ``batch``
mode (the whole series known) or ``streaming`` mode (each point judged from the points before
it, as a monitor must); series fan out in groups gathered in order by a chord."""

from __future__ import annotations

from celery import chord, group
from marshmallow import Schema, fields, post_load, validate, validates_schema

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
from app.workflows.fields import EngineErrors, Number, NumberList, nested_error
from app.workflows.registry import Plan, Workflow, register

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


class AnomalyParams(Schema):
    series = fields.List(fields.Nested(AnomalySeries), required=True,
                         validate=validate.Length(min=1, max=MAX_SERIES), metadata={
                             "description": "The series; each may override the defaults "
                                            "below"})
    mode = _mode(load_default="batch")
    season_length = _season(load_default=None)
    sensitivity = _sensitivity(load_default=None)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _engine_checks(self, data: dict, original_data: dict, **kwargs) -> None:
        """The engine's checks of every series whose own fields are fine, reported together
        with any field errors (not when a default is wrong: it would be blamed on them)."""
        if "series" not in data or any(k in original_data and k not in data
                                       for k in SERIES_DEFAULTS):
            return
        errors = EngineErrors()
        for i, raw in enumerate(original_data["series"]):
            if not AnomalySeries().validate(raw):
                with errors.check():
                    validate_series({**defaults(data), **_set(raw)}, f"series.{i}")
        errors.raise_any()

    @post_load
    def normalise(self, data, **kwargs):
        series = []
        for i, raw in enumerate(data["series"]):
            try:
                normalised = validate_series({**defaults(data), **_set(raw)}, f"series.{i}")
            except AnomalyInputError as exc:
                raise nested_error(exc.field, exc.message) from None
            series.append({"name": raw.get("name", str(i)), **normalised})
        return {"series": series}


def _set(raw: dict) -> dict:
    """A series' own fields, without the nulls that stand for "the default"."""
    return {k: v for k, v in raw.items() if v is not None or k not in SERIES_DEFAULTS}


def defaults(data: dict) -> dict:
    """What the series inherit from the top level unless they override it."""
    return {k: data[k] for k in SERIES_DEFAULTS if data.get(k) is not None}


def build(plan: Plan, params: dict):
    series = params["series"]
    size = get_settings().anomaly_series_per_step
    header = group([plan.step(steps.SERIES_BATCH, f"series-{i // size:05d}",
                              series[i:i + size], i, fan_in=True)
                    for i in range(0, len(series), size)])
    return chord(header, plan.step(steps.GATHER, "gather", n_series=len(series)))


register(Workflow(name="anomaly",
                  description="Anomalies (spikes, level shifts, variance changes), change "
                              "points with the segment statistics on either side, and a "
                              "score per point for one or many series, in batch or "
                              "streaming mode.",
                  schema=AnomalyParams, build=build, steps=(steps.SERIES_BATCH, steps.GATHER),
                  examples=ANOMALY))

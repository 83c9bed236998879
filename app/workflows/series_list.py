"""Params of a workflow over many series (``forecast``, ``anomaly``): top-level defaults that
each series may override, the engine's checks of every series reported together with the
field errors, and the chord that fans the series out in groups and gathers them in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from celery import chord, group
from marshmallow import Schema, post_load, validates_schema

from app.workflows.fields import EngineErrors, nested_error
from app.workflows.registry import Plan
from app.workflows.steps import Step


class SeriesListParams(Schema):
    """Base schema of ``{"series": [...], <defaults>...}``. A subclass declares its fields
    and sets the class variables below."""

    #: the schema of one series as sent
    series_schema: ClassVar[type[Schema]]
    #: the top-level fields a series inherits unless it sets them
    series_defaults: ClassVar[tuple[str, ...]]
    #: the engine's check and normalisation of one series (defaults merged in) at a path
    validate_series: ClassVar[Callable[[dict, str], dict]]
    #: what ``validate_series`` raises (with ``field`` and ``message``)
    input_error: ClassVar[type[Exception]]
    #: whether a series' null for a default field means "the default" (else it is a value)
    null_means_default: ClassVar[bool] = False

    def _own(self, raw: dict) -> dict:
        """A series' own fields, without the nulls that stand for "the default"."""
        if not self.null_means_default:
            return raw
        return {k: v for k, v in raw.items() if v is not None or k not in self.series_defaults}

    def _defaults(self, data: dict) -> dict:
        """What the series inherit from the top level unless they override it."""
        return {k: data[k] for k in self.series_defaults if data.get(k) is not None}

    def _merged(self, data: dict, raw: dict, path: str) -> dict:
        return type(self).validate_series({**self._defaults(data), **self._own(raw)}, path)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _engine_checks(self, data: dict, original_data: dict, **kwargs: Any) -> None:
        """The engine's checks of every series whose own fields are fine, reported together
        with any field errors (not when a default is wrong: it would be blamed on them). A
        series whose own fields are wrong is skipped: its errors are reported already."""
        if "series" not in data or any(k in original_data and k not in data
                                       for k in self.series_defaults):
            return
        errors = EngineErrors()
        for i, raw in enumerate(original_data["series"]):
            if not self.series_schema().validate(raw):
                with errors.check():
                    self._merged(data, raw, f"series.{i}")
        errors.raise_any()

    @post_load
    def normalise(self, data: dict, **kwargs: Any) -> dict:
        series = []
        for i, raw in enumerate(data["series"]):
            try:
                normalised = self._merged(data, raw, f"series.{i}")
            except self.input_error as exc:
                raise nested_error(exc.field, exc.message) from None
            series.append({"name": raw.get("name", str(i)), **normalised})
        return {"series": series}


def series_chord(plan: Plan, batch: Step, gather: Step,
                 series: list[dict], size: int):
    """Groups of ``size`` series, one ``batch`` step each, gathered in order by ``gather``."""
    header = group([plan.step(batch, f"series-{i // size:05d}", series[i:i + size], i,
                              fan_in=True)
                    for i in range(0, len(series), size)])
    return chord(header, plan.step(gather, "gather", n_series=len(series)))

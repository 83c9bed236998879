"""``anomaly`` params: every bad field is a field-level error, all of a request at once, and
valid params are normalised with the defaults each series inherits."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from app.service import load_params
from app.workflows.registry import get_workflow

VALUES = [1.0, 2.0, 1.5, 1.8, 2.2, 1.9, 2.1, 1.7, 2.0, 1.6]


def errors_of(params: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        load_params(get_workflow("anomaly"), params)
    return caught.value.messages["params"]


@pytest.mark.parametrize("params,path", [
    ({"series": []}, ["series"]),
    ({}, ["series"]),
    ({"series": [{"values": [1, "x"] + VALUES}]}, ["series", 0, "values", 1]),
    ({"series": [{"values": VALUES[:5]}]}, ["series", 0, "values"]),
    ({"series": [{"values": [None] * 11 + VALUES}]}, ["series", 0, "values"]),
    ({"series": [{"values": VALUES}], "mode": "realtime"}, ["mode"]),
    ({"series": [{"values": VALUES, "mode": "later"}]}, ["series", 0, "mode"]),
    ({"series": [{"values": VALUES}], "sensitivity": 1.5}, ["sensitivity"]),
    ({"series": [{"values": VALUES, "sensitivity": "high"}]}, ["series", 0, "sensitivity"]),
    ({"series": [{"values": VALUES}], "season_length": 1}, ["season_length"]),
    ({"series": [{"values": VALUES, "season_length": 6}]}, ["series", 0, "season_length"]),
    ({"series": [{"values": VALUES, "timestamps": ["2025-01-01"]}]},
     ["series", 0, "timestamps"]),
    ({"series": [{"values": VALUES[:2] + VALUES[:8],
                  "timestamps": [f"2025-01-{d:02d}" for d in (2, 1, 3, 4, 5, 6, 7, 8, 9, 10)]}]},
     ["series", 0, "timestamps"]),
    ({"series": [{"values": VALUES, "window": 5}]}, ["series", 0, "window"]),
])
def test_bad_params_name_their_field(params, path):
    errors = errors_of(params)
    for part in path:
        assert part in errors, errors
        errors = errors[part]


def test_every_bad_series_is_reported_at_once():
    errors = errors_of({"series": [{"values": VALUES}, {"values": VALUES[:3]},
                                   {"values": VALUES, "season_length": 9}],
                        "sensitivity": -1})
    assert set(errors) == {"sensitivity"}  # a bad default is not blamed on the series
    errors = errors_of({"series": [{"values": VALUES}, {"values": VALUES[:3]},
                                   {"values": VALUES, "season_length": 9}]})
    assert set(errors["series"]) == {1, 2}


def test_series_inherit_the_defaults_they_do_not_override():
    params = load_params(get_workflow("anomaly"), {
        "series": [{"values": VALUES}, {"name": "b", "values": VALUES, "mode": "batch",
                                        "sensitivity": None}],
        "mode": "streaming", "sensitivity": 0.8})
    first, second = params["series"]
    assert first == {"name": "0", "values": VALUES, "timestamps": None, "mode": "streaming",
                     "season_length": None, "sensitivity": 0.8}
    assert second["name"] == "b" and second["mode"] == "batch"
    assert second["sensitivity"] == 0.8

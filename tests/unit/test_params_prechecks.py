"""Params too large to validate are refused before the schema walks them, on every surface
(the REST API, the MCP server and the CLI all submit through ``service.load_params``)."""

import time

import pytest
from marshmallow import ValidationError

from app.json_shape import ShapeError, check_shape
from app.service import load_params
from app.workflows.registry import get_workflow


def refused(workflow: str, params: dict) -> dict:
    declared = get_workflow(workflow)
    began = time.perf_counter()
    with pytest.raises(ValidationError) as error:
        load_params(declared, params)
    assert time.perf_counter() - began < 3.0  # a million items took 20 s to validate
    return error.value.messages


def test_a_list_over_its_declared_length_is_refused_without_looking_at_its_items():
    assert refused("sentiment", {"texts": [1] * 100_000}) == {
        "params": {"texts": ["Length must be between 1 and 10000."]}}
    assert refused("monte_carlo", {"model": "gbm", "n_simulations": 1, "params": {},
                                   "thresholds": ["x"] * 50_000}) == {
        "params": {"thresholds": ["Longer than maximum length 100."]}}


def test_shape_limits_name_the_field_that_breaks_them():
    many = {"texts": ["a"], **{f"k{i}": 1 for i in range(300_000)}}
    assert refused("sentiment", many) == {
        "params": ["Has 300001 keys; an object may have at most 1000."]}
    nested = {"model": "gbm", "n_simulations": 1, "params": {"values": [1.0] * 100_001}}
    assert refused("monte_carlo", nested) == {
        "params": {"params": {"values": ["Has 100001 items; a list may have at most 100000."]}}}


def test_check_shape_limits_and_paths():
    check_shape({"a": [[1] * 10] * 10, "b": {str(i): i for i in range(1000)}})
    deep: list = []
    value = deep
    for _ in range(70):
        value.append([])
        value = value[0]
    with pytest.raises(ShapeError) as error:
        check_shape({"x": {"y": [0, deep]}})
    assert error.value.too_deep and error.value.path[:4] == ("x", "y", "1", "0")
    with pytest.raises(ShapeError) as error:
        check_shape([{}, {"k": {str(i): 0 for i in range(1001)}}])
    assert error.value.path == ("1", "k") and not error.value.too_deep


@pytest.mark.parametrize("model", [["gbm"], {"a": 1}])
def test_a_discriminator_that_is_no_string_is_a_field_error(model):
    with pytest.raises(ValidationError) as raised:
        load_params(get_workflow("monte_carlo"), {"model": model})
    assert "model" in raised.value.messages["params"]

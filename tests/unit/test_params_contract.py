"""The params schemas are a contract: what ``GET /workflows`` publishes (and the OpenAPI spec,
the dashboard and the MCP server read) describes what validation accepts. Every valid request
passes the published schema, the schemas are real objects down to each model's params, and
validation reports every error of a request at once."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from marshmallow import ValidationError

from app.api.workflows import describe
from app.service import load_params
from app.workflows.monte_carlo.distributions import PARAMETERS
from app.workflows.monte_carlo.validation import MODELS
from app.workflows.registry import all_workflows, get_workflow

ROOT = Path(__file__).resolve().parents[2]
GBM = {"model": "gbm", "n_simulations": 1000, "seed": 7,
       "params": {"s0": 100, "drift": 0.05, "volatility": 0.2, "horizon": 1, "steps": 12}}
SERIES = {"values": [1.0, 2.0, None, 4.0, 5.0], "frequency": "D"}
DISTRIBUTIONS = {"a": {"dist": "normal", "mean": 0, "std": 1},
                 "b": {"dist": "lognormal", "mu": 0, "sigma": 0.5},
                 "c": {"dist": "uniform", "low": 0, "high": 2},
                 "d": {"dist": "triangular", "low": 0, "mode": 1, "high": 3},
                 "e": {"dist": "pert", "low": 0, "mode": 1, "high": 3},
                 "f": {"dist": "empirical", "values": [1, 2, 2.5]},
                 "g": {"dist": "constant", "value": 4}}
# Valid requests beyond the examples: optional fields, nulls standing for defaults, each
# distribution, both bootstrap inputs.
VALID = [
    ("monte_carlo", {**GBM, "params": {**GBM["params"], "horizon": None, "payoff": None},
                     "seed": None, "quantiles": [5, 50, 95], "path_crossing": True}),
    ("monte_carlo", {"model": "bootstrap", "n_simulations": 100, "antithetic": False,
                     "params": {"returns": [0.01, -0.02, 0.015], "return_type": "log",
                                "s0": 50, "block_length": None}}),
    ("monte_carlo", {"model": "scenario", "n_simulations": 100, "shards": 2,
                     "params": {"variables": DISTRIBUTIONS, "correlation": None,
                                "expression": "a + b * c - d / (e + 1) + f + g"}}),
    ("forecast", {"series": [SERIES, {**SERIES, "name": "b", "horizon": 2, "levels": None,
                                      "season_length": None, "timestamps": None}],
                  "horizon": 3, "model": "naive"}),
    ("scenario_forecast", {"series": {**SERIES, "horizon": 4}, "seed": None}),
]


def as_json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema (draft 4: boolean exclusive bounds):
    ``nullable`` becomes "or null"."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: as_json_schema(value) for key, value in node.items()
           if key not in ("nullable", "discriminator")}
    return {"anyOf": [out, {"type": "null"}]} if node.get("nullable") else out


def published(workflow: str) -> dict:
    return as_json_schema(describe(get_workflow(workflow))["params_schema"])


def assert_published_schema_accepts(workflow: str, params: dict) -> None:
    jsonschema.Draft4Validator(published(workflow)).validate(params)


@pytest.mark.parametrize("workflow,params", VALID + [
    (w.name, e.params) for w in all_workflows() for e in w.examples])
def test_whatever_validation_accepts_the_published_schema_accepts(workflow, params):
    if "collection" not in params:  # a collection is checked when the job is built
        load_params(get_workflow(workflow), params)
    assert_published_schema_accepts(workflow, params)


def test_every_workflow_has_a_complete_example():
    for workflow in all_workflows():
        assert workflow.examples, workflow.name
        assert describe(workflow)["examples"] == [
            {"summary": e.summary, "params": e.params} for e in workflow.examples]


def json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:  # an abridged response ("…")
        return None


def test_the_api_docs_show_every_example_as_a_complete_job():
    text = (ROOT / "docs" / "api.md").read_text()
    bodies = [json_or_none(block) for block in re.findall(r"```json\n(.*?)```", text, re.S)]
    for workflow in all_workflows():
        for example in workflow.examples:
            assert {"workflow": workflow.name, "params": example.params} in bodies, \
                f"docs/api.md lacks the {workflow.name} example {example.summary!r}"


def resolve(schema: dict, ref: str) -> dict:
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_monte_carlo_is_one_of_its_models_told_apart_by_model():
    schema = describe(get_workflow("monte_carlo"))["params_schema"]
    mapping = schema["discriminator"]["mapping"]
    assert schema["discriminator"]["propertyName"] == "model"
    assert set(mapping) == set(MODELS)
    assert [ref["$ref"] for ref in schema["oneOf"]] == list(mapping.values())
    params = {}
    for model, ref in mapping.items():
        variant = resolve(schema, ref)
        assert variant["properties"]["model"]["enum"] == [model]
        assert {"model", "n_simulations", "params"} <= set(variant["required"])
        assert variant["additionalProperties"] is False
        params[model] = resolve(schema, variant["properties"]["params"]["allOf"][0]["$ref"])
    assert set(params["gbm"]["required"]) == {"s0", "volatility"}  # drift: or rate
    assert params["gbm"]["properties"]["s0"] == {
        "type": "number", "minimum": 0, "exclusiveMinimum": True,
        "description": "Price at time 0"}
    assert {"returns", "history", "return_type", "block_length"} <= set(
        params["bootstrap"]["properties"])
    distribution = resolve(schema, params["scenario"]["properties"]["variables"][
        "additionalProperties"]["$ref"])
    assert distribution["discriminator"]["propertyName"] == "dist"
    for dist, names in PARAMETERS.items():
        variant = resolve(schema, distribution["discriminator"]["mapping"][dist])
        assert set(variant["required"]) == {"dist", *names}


def test_forecast_series_are_objects_with_their_fields():
    schema = describe(get_workflow("forecast"))["params_schema"]
    series = resolve(schema, schema["properties"]["series"]["items"]["$ref"])
    assert series["required"] == ["values"] and series["additionalProperties"] is False
    assert series["properties"]["values"]["items"] == {"type": "number", "nullable": True}
    assert {"timestamps", "frequency", "name", "horizon", "model", "levels"} <= set(
        series["properties"])
    scenario = describe(get_workflow("scenario_forecast"))["params_schema"]
    one = resolve(scenario, scenario["properties"]["series"]["allOf"][0]["$ref"])
    assert set(one["required"]) == {"values", "horizon"}


def errors_of(workflow: str, params: dict) -> dict:
    with pytest.raises(ValidationError) as caught:
        load_params(get_workflow(workflow), params)
    return caught.value.messages["params"]


def test_a_bad_top_level_field_and_bad_nested_params_come_back_together():
    errors = errors_of("monte_carlo", {**GBM, "n_simulations": 0,
                                       "params": {**GBM["params"], "s0": -1, "steps": 0}})
    assert set(errors) == {"n_simulations", "params"}
    assert set(errors["params"]) == {"s0", "steps"}
    # an error only the engine finds (an unsafe expression) comes with the field errors too
    errors = errors_of("monte_carlo", {
        "model": "scenario", "n_simulations": 10, "quantiles": [150],
        "params": {"variables": {"a": {"dist": "normal", "mean": 0, "std": 1}},
                   "expression": "__import__('os')"}})
    assert set(errors) == {"quantiles", "params"} and "expression" in errors["params"]
    # an unknown model still gets the other fields checked
    assert set(errors_of("monte_carlo", {**GBM, "model": "brownian", "seed": -1})) == {
        "model", "seed"}


def test_every_bad_series_is_reported_at_once():
    errors = errors_of("forecast", {"horizon": 2, "series": [
        SERIES, {**SERIES, "values": [1, "x"]},
        {**SERIES, "timestamps": ["2024-01-02", "2024-01-01", "2024-01-03", "2024-01-04",
                                  "2024-01-05"]},
        {**SERIES, "frequency": "fortnightly"}]})
    assert set(errors["series"]) == {1, 2, 3}
    assert "values" in errors["series"][1] and "timestamps" in errors["series"][2]
    errors = errors_of("scenario_forecast", {"series": {**SERIES, "horizon": 2,
                                                        "frequency": "fortnightly"},
                                             "n_paths": 0})
    assert set(errors) == {"series", "n_paths"}


@pytest.mark.parametrize("workflow,params,path", [
    # numbers as strings, booleans as numbers and unknown fields are refused as before
    ("monte_carlo", {**GBM, "params": {**GBM["params"], "s0": "100"}}, ["params", "s0"]),
    ("monte_carlo", {**GBM, "params": {**GBM["params"], "steps": True}}, ["params", "steps"]),
    ("monte_carlo", {**GBM, "params": {**GBM["params"], "steps": 12.0}}, ["params", "steps"]),
    ("monte_carlo", {**GBM, "params": {**GBM["params"], "s0": 10**400}}, ["params", "s0"]),
    ("monte_carlo", {**GBM, "params": {**GBM["params"], "volatilty": 0.2}},
     ["params", "volatilty"]),
    ("monte_carlo", {"model": "bootstrap", "n_simulations": 10,
                     "params": {"returns": [0.1, 0.2], "history": [1, 2, 3]}},
     ["params", "returns"]),
    ("forecast", {"series": [{**SERIES, "values": [1, 2, "3"]}], "horizon": 2},
     ["series", 0, "values", 2]),
    ("forecast", {"series": [{**SERIES, "horizon": None}], "horizon": 2},
     ["series", 0, "horizon"]),
])
def test_validation_is_as_strict_as_the_engines(workflow, params, path):
    errors = errors_of(workflow, params)
    for part in path:
        assert part in errors, errors
        errors = errors[part]


def test_a_oneof_schema_loads_a_list_with_each_item_its_own_variant():
    import pytest
    from marshmallow import ValidationError

    from app.workflows.monte_carlo.workflow import MonteCarloParams
    gbm = {"model": "gbm", "n_simulations": 1000,
           "params": {"s0": 100, "drift": 0.05, "volatility": 0.2, "horizon": 1, "steps": 10}}
    loaded = MonteCarloParams(many=True).load([gbm, gbm])
    assert [item["model"] for item in loaded] == ["gbm", "gbm"]
    with pytest.raises(ValidationError) as error:
        MonteCarloParams().load([gbm, {"model": "nope"}], many=True)
    assert set(error.value.messages) == {1}

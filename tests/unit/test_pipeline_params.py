"""Pipeline params: paths into results and params, the stage graph and the 422 errors of a
submitted pipeline (schema validation only; no Redis, no workers)."""

from __future__ import annotations

import pytest

from app.workflows.pipeline import dag, paths, types
from app.workflows.registry import get_workflow

RESULT = {"value": 3, "summary": [{"text": "a", "start": 1.0}, {"text": "b", "start": 2.5}],
          "nested": {"list": [[1, 2], [3]]}}


@pytest.mark.parametrize("path,expected", [
    ("value", 3),
    ("summary[1].text", "b"),
    ("summary[*].text", ["a", "b"]),
    ("summary[*].start", [1.0, 2.5]),
    ("nested.list[0][1]", 2),
    ("nested.list[*][0]", [1, 3]),
])
def test_extract_follows_keys_indexes_and_wildcards(path, expected):
    assert paths.extract(RESULT, path) == expected


@pytest.mark.parametrize("path,message", [
    ("missing", "has no key 'missing'"),
    ("summary[5]", "summary has no element [5]"),
    ("value[*]", "value is not a list"),
    ("summary[*].nope", "summary[0] has no key 'nope'"),
])
def test_extract_says_where_a_path_leads_nowhere(path, message):
    with pytest.raises(paths.PathError, match=message.replace("[", r"\[").replace("]", r"\]")):
        paths.extract(RESULT, path)


@pytest.mark.parametrize("path", ["", "a..b", "a.", ".a", "a[x]", "a[0]b", "a b", "a[*"])
def test_malformed_paths_are_refused(path):
    with pytest.raises(paths.PathError):
        paths.parse(path)


def test_param_paths_take_no_wildcard_and_make_objects_on_the_way():
    with pytest.raises(paths.PathError, match=r"\[\*\]"):
        paths.parse("texts[*]", wildcards=False)
    params = {"items": [{"a": 1}]}
    paths.assign(params, "options.model", "x")
    paths.assign(params, "items[0].a", 2)
    assert params == {"items": [{"a": 2}], "options": {"model": "x"}}
    with pytest.raises(paths.PathError, match=r"no element \[3\]"):
        paths.assign(params, "items[3].a", 1)


def test_types_of_fields_and_their_compatibility():
    schema = get_workflow("sentiment").schema()
    assert types.field_type(types.field_at(schema, ["texts"])) == "array<string>"
    assert types.field_at(schema, ["nothing"]) is None
    assert types.compatible("array<string>", "array<string>")
    assert types.compatible("integer", "number")
    assert types.compatible(None, "string") and types.compatible("array", "array<string>")
    assert not types.compatible("integer", "array<string>")
    assert not types.compatible("array<integer>", "array<string>")
    assert types.placeholder("array<string>") == ["placeholder"]


def stage(name, workflow="smoke", **extra):
    return {"name": name, "workflow": workflow, **extra}


def source(stage_name, path="value"):
    return {"from": stage_name, "path": path}


def test_order_puts_each_stage_after_those_it_waits_on():
    stages = [stage("c", after=["b"]), stage("a"), stage("b", inputs={"start": source("a")})]
    assert dag.order(stages) == ["a", "b", "c"]


def test_order_names_a_cycle():
    stages = [stage("a", after=["c"]), stage("b", after=["a"]), stage("c", after=["b"])]
    with pytest.raises(ValueError, match="a → c → b → a"):
        dag.order(stages)


def errors_of(stages):
    return get_workflow("pipeline").schema().validate({"stages": stages})


def test_the_examples_are_valid():
    for example in get_workflow("pipeline").examples:
        assert errors_of(example.params["stages"]) == {}


def test_unknown_and_duplicate_names_are_errors_at_their_fields():
    errors = errors_of([stage("a"), stage("a", "nowhere"), stage("b", after=["zz"]),
                        stage("c", inputs={"start": source("ghost")}),
                        stage("d", "pipeline")])["stages"]
    assert errors[1]["name"] == ["Duplicate stage name 'a' (stage 0 has it)."]
    assert errors[1]["workflow"] == ["Unknown workflow 'nowhere'."]
    assert errors[2]["after"] == ["No other stage is called 'zz'."]
    assert errors[3]["inputs"]["start"] == ["No other stage is called 'ghost'."]
    assert "cannot be a pipeline" in errors[4]["workflow"][0]


def test_a_cycle_is_named_at_each_edge_that_closes_it():
    errors = errors_of([stage("a", after=["b"]),
                        stage("b", inputs={"start": source("a")})])["stages"]
    message = "The stages wait on each other in a cycle: a → b → a (each waits on the next)."
    assert errors == {0: {"after": [message]}, 1: {"inputs": {"start": [message]}}}


def test_a_mapped_input_of_the_wrong_type_is_an_error_at_the_input():
    errors = errors_of([stage("count"),
                        stage("mood", "sentiment", inputs={"texts": source("count")})])
    assert errors == {"stages": {1: {"inputs": {"texts": [
        "Stage 'count' gives integer at 'value'; param 'texts' of 'sentiment' takes "
        "array<string>."]}}}}


def test_stage_params_are_validated_around_their_mapped_inputs():
    errors = errors_of([
        stage("video", "youtube", params={"video": "GJLlxj_dtq8", "collection": "talks"}),
        stage("mood", "sentiment", params={"bucket": "fortnight"},
              inputs={"texts": source("video", "summary[*].text")}),
        stage("more", inputs={"nope": source("video")}),
        stage("bad", params={"start": "x"})])["stages"]
    assert set(errors[1]) == {"params"} and set(errors[1]["params"]) == {"bucket"}
    assert errors[2] == {"inputs": {"nope": ["Workflow 'smoke' has no param 'nope'."]}}
    assert errors[3] == {"params": {"start": ["Not a valid integer."]}}
    assert 0 not in errors

"""Forms generated from a params JSON schema: which widget each property gets (rendered by
AppTest), and how widget values and uploads become params."""

from __future__ import annotations

import base64

import pytest
from streamlit.testing.v1 import AppTest

from ui.dashboard.schema_form import FieldError, collect, fields_of

SCHEMA = {
    "type": "object",
    "required": ["title", "documents", "runs"],
    "properties": {
        "title": {"type": "string", "description": "What to call it"},
        "mode": {"type": "string", "enum": ["fast", "exact"], "default": "fast"},
        "style": {"type": "string", "enum": ["a", "b"], "nullable": True, "default": None},
        "runs": {"type": "integer", "minimum": 1, "maximum": 10},
        "alpha": {"type": "number", "nullable": True, "default": None},
        "verbose": {"type": "boolean", "default": False},
        "strict": {"type": "boolean", "nullable": True, "default": None},
        "tags": {"type": "array", "items": {"type": "string"}},
        "levels": {"type": "array", "items": {"type": "number"}},
        "when": {"type": "array", "items": {"description": "time"}},
        "series": {"type": "array", "items": {"type": "object"}},
        "options": {"type": "object", "additionalProperties": {}},
        "documents": {"type": "array", "items": {"type": "object", "properties": {
            "filename": {"type": "string"}, "media_type": {"type": "string"},
            "content_base64": {"type": "string", "contentEncoding": "base64"}}}},
    },
}


def kinds() -> dict[str, str]:
    return {f.name: f.kind for f in fields_of(SCHEMA)}


def test_each_json_schema_type_gets_its_widget_kind():
    assert kinds() == {
        "title": "text", "documents": "documents", "runs": "integer", "mode": "choice",
        "style": "choice", "alpha": "number", "verbose": "boolean", "strict": "tristate",
        "tags": "string_list", "levels": "number_list", "when": "value_list",
        "series": "json_list", "options": "object"}
    assert [f.name for f in fields_of(SCHEMA)][:3] == ["title", "runs", "documents"]


def render_form(schema: dict) -> None:
    import streamlit as st

    from ui.dashboard.schema_form import collect, fields_of, render
    fields = fields_of(schema)
    with st.form("f"):
        raw, uploads = render(fields, "t")
        sent = st.form_submit_button("Go")
    if sent:
        try:
            st.session_state["params"] = collect(fields, raw, uploads)
        except ValueError as exc:
            st.session_state["problem"] = str(exc)


def test_the_form_renders_one_widget_per_property_and_reads_them_back():
    at = AppTest.from_function(render_form, kwargs={"schema": SCHEMA}, default_timeout=10)
    at.run()
    assert at.selectbox(key="t:mode").options == ["fast", "exact"]
    assert at.selectbox(key="t:style").options == ["(default)", "a", "b"]
    assert at.selectbox(key="t:strict").options == ["(default)", "yes", "no"]
    runs = at.number_input(key="t:runs")
    assert (runs.min, runs.max, runs.value) == (1, 10, None)
    assert at.checkbox(key="t:verbose").value is False
    assert at.text_area(key="t:tags").label == "tags (one per line)"
    assert at.file_uploader(key="t:documents:upload").label == "documents (required, " \
                                                                "upload documents)"
    assert len(at.file_uploader) == 5  # documents, and the four list fields

    at.text_input(key="t:title").input("Quarterly")
    at.number_input(key="t:runs").set_value(3)
    at.text_area(key="t:tags").input("red\n\nblue")
    at.text_area(key="t:levels").input("80, 95")
    at.text_area(key="t:options").input('{"depth": 2}')
    at.selectbox(key="t:strict").select("no")
    at.file_uploader(key="t:documents:upload").upload("memo.txt", b"hello", "text/plain")
    at.button[0].click().run()
    assert "problem" not in at.session_state
    assert at.session_state["params"] == {
        "title": "Quarterly", "runs": 3, "mode": "fast", "verbose": False, "strict": False,
        "tags": ["red", "blue"], "levels": [80, 95], "options": {"depth": 2},
        "documents": [{"content_base64": base64.b64encode(b"hello").decode(),
                       "filename": "memo.txt", "media_type": "text/plain"}]}


def test_a_required_field_left_empty_is_reported_before_submitting():
    fields = fields_of({"type": "object", "required": ["texts"],
                        "properties": {"texts": {"type": "array", "items": {"type": "string"}}}})
    with pytest.raises(FieldError, match="texts: required"):
        collect(fields, {"texts": "  \n"})


def test_uploaded_lists_add_to_typed_text_and_bad_json_is_named():
    fields = fields_of(SCHEMA)
    raw = {"title": "t", "runs": 1, "mode": "fast", "levels": "5",
           "series": '[{"values": [1, 2]}]'}
    uploads = {"documents": [("a.md", "text/markdown", b"# A")],
               "levels": [("more.txt", "text/plain", b"1.5\n2\n")],
               "series": [("s.json", "application/json", b'[{"values": [3]}]')]}
    params = collect(fields, raw, uploads)
    assert params["levels"] == [1.5, 2, 5]
    assert params["series"] == [{"values": [3]}, {"values": [1, 2]}]
    with pytest.raises(FieldError, match="options: not valid JSON"):
        collect(fields, {**raw, "options": "{nope"}, uploads)
    with pytest.raises(FieldError, match="levels: 'x' is not a number"):
        collect(fields, {**raw, "levels": "x"}, uploads)


def test_text_documents_are_sent_as_text_with_their_name():
    fields = fields_of({"type": "object", "properties": {"docs": {
        "type": "array", "items": {"properties": {"name": {"type": "string"},
                                                  "content": {"type": "string"}}}}}})
    assert collect(fields, {}, {"docs": [("a.txt", "text/plain", "héllo".encode())]}) == {
        "docs": [{"content": "héllo", "name": "a.txt"}]}


def render_choice(schema: dict) -> None:
    import streamlit as st

    from ui.dashboard.schema_form import choose_variant, collect, render
    fields, fixed, prefix = choose_variant(schema, "t")
    st.session_state["fields"] = [f.name for f in fields]
    with st.form(prefix):
        raw, uploads = render(fields, prefix)
        sent = st.form_submit_button("Go")
    if sent:
        st.session_state["params"] = {**fixed, **collect(fields, raw, uploads)}


def monte_carlo_schema() -> dict:
    from app.api.workflows import describe
    from app.workflows.registry import get_workflow
    return describe(get_workflow("monte_carlo"))["params_schema"]


def test_a_oneof_with_a_discriminator_is_a_choice_whose_fields_follow_the_shape():
    from app.service import load_params
    from app.workflows.registry import get_workflow
    at = AppTest.from_function(render_choice, kwargs={"schema": monte_carlo_schema()},
                               default_timeout=10)
    at.run()
    assert at.selectbox(key="t:model").options == ["gbm", "bootstrap", "scenario"]
    gbm = at.session_state["fields"]
    # required fields first (drift is optional: with a rate and no drift it is risk-neutral)
    assert gbm[:3] == ["n_simulations", "params.s0", "params.volatility"]
    assert "params.drift" in gbm and "params.rate" in gbm
    assert "model" not in gbm and "params.expression" not in gbm
    assert at.number_input(key="t:gbm:params.steps").value == 252  # the engine's default
    assert at.text_area(key="t:gbm:quantiles").value == "1, 5, 10, 25, 50, 75, 90, 95, 99"

    at.selectbox(key="t:model").select("scenario").run()
    scenario = at.session_state["fields"]
    assert {"params.variables", "params.expression", "params.correlation.variables",
            "params.correlation.matrix"} <= set(scenario) and "params.s0" not in scenario
    at.number_input(key="t:scenario:n_simulations").set_value(1000)
    at.text_area(key="t:scenario:params.variables").input(
        '{"a": {"dist": "normal", "mean": 1, "std": 2}}')
    at.text_area(key="t:scenario:params.expression").input("a * 2")
    at.button[0].click().run()
    params = at.session_state["params"]
    assert params["model"] == "scenario" and params["n_simulations"] == 1000
    assert params["params"] == {"variables": {"a": {"dist": "normal", "mean": 1, "std": 2}},
                                "expression": "a * 2"}
    assert params["quantiles"] == [1, 5, 10, 25, 50, 75, 90, 95, 99]
    load_params(get_workflow("monte_carlo"), params)  # what the form sends is valid


def test_references_are_followed_and_nested_objects_become_dotted_fields():
    root = {"type": "object", "required": ["docs", "spec"], "properties": {
        "docs": {"type": "array", "items": {"$ref": "#/components/schemas/Doc"}},
        "spec": {"allOf": [{"$ref": "#/components/schemas/Spec"}], "description": "d"},
        "extra": {"anyOf": [{"$ref": "#/components/schemas/Spec"},
                            {"type": "object", "nullable": True}]}},
        "components": {"schemas": {
            "Doc": {"type": "object", "properties": {"text": {"type": "string"},
                                                     "filename": {"type": "string"}}},
            "Spec": {"type": "object", "required": ["n"], "properties": {
                "n": {"type": "integer"}, "tags": {"type": "array",
                                                   "items": {"type": "string"}}}}}}}
    fields = fields_of(root)
    assert {f.name: (f.kind, f.required) for f in fields} == {
        "docs": ("documents", True), "spec.n": ("integer", True),
        "spec.tags": ("string_list", False), "extra.n": ("integer", False),
        "extra.tags": ("string_list", False)}
    params = collect(fields, {"spec.n": 2, "spec.tags": "a\nb"},
                     {"docs": [("a.txt", "text/plain", b"hi")]})
    assert params == {"docs": [{"text": "hi", "filename": "a.txt"}],
                      "spec": {"n": 2, "tags": ["a", "b"]}}

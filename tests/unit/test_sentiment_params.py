import pytest
from marshmallow import ValidationError

from app.workflows.sentiment.workflow import MAX_TEXT_CHARS, MAX_TEXTS, SentimentParams


def errors(params):
    with pytest.raises(ValidationError) as info:
        SentimentParams().load(params)
    return info.value.messages


def test_valid_params_load_with_defaults():
    data = SentimentParams().load({"texts": ["a", "b"], "timestamps": ["2026-01-01T00:00:00Z",
                                                                     1767225600]})
    assert data["bucket"] == "auto" and data["ids"] is None
    assert data["timestamps"] == [1767225600.0, 1767225600.0]


@pytest.mark.parametrize("params,field", [
    ({}, "texts"),
    ({"texts": []}, "texts"),
    ({"texts": "not a list"}, "texts"),
    ({"texts": ["x"] * (MAX_TEXTS + 1)}, "texts"),
    ({"texts": ["ok", 5]}, "texts"),
    ({"texts": ["a"], "ids": ["1", "2"]}, "ids"),
    ({"texts": ["a", "b"], "ids": ["1", "1"]}, "ids"),
    ({"texts": ["a"], "timestamps": ["yesterday"]}, "timestamps"),
    ({"texts": ["a"], "timestamps": [True]}, "timestamps"),
    ({"texts": ["a"], "bucket": "fortnight"}, "bucket"),
    ({"texts": ["a"], "colour": "red"}, "colour"),
])
def test_each_bad_input_names_its_field(params, field):
    assert field in errors(params)


def test_too_long_text_error_points_at_the_item():
    messages = errors({"texts": ["fine", "x" * (MAX_TEXT_CHARS + 1)]})
    assert 1 in messages["texts"] and "20000" in messages["texts"][1][0]

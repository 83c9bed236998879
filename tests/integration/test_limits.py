"""Every documented limit of the REST API (docs/api.md, "Limits"): just over it is a clear 4xx
that names the field (413 for bodies and uploads, 400 for JSON nested too deep, 422
otherwise), and nothing is recorded.

The limits that are settings run at small values here (see ``small_limits``).
"""

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.conftest import ApiClient
from tests.integration.kb_helpers import COLLECTIONS, create_collection

SETTINGS = {"DIA3_UPLOAD_MAX_BYTES": "1000", "DIA3_DOCUMENTS_PER_JOB_MAX": "3",
            "DIA3_PAGE_SIZE_MAX": "20"}
JOBS = "/api/v1/jobs"


@dataclass
class Ctx:
    analyst: ApiClient
    admin: ApiClient
    collection: str
    max_body: int


@pytest.fixture
def small_limits(settings_env, flask_app):
    settings_env(**SETTINGS)


@pytest.fixture
def ctx(make_client, small_limits, flask_app) -> Ctx:
    analyst = make_client("analyst")
    return Ctx(analyst, make_client("admin"), create_collection(analyst),
               flask_app.config["MAX_CONTENT_LENGTH"])


def job(workflow: str, **params) -> Callable[[Ctx], object]:
    return lambda c: c.analyst.submit(workflow, params)


def post(path: str, body: dict, who: str = "analyst") -> Callable[[Ctx], object]:
    return lambda c: getattr(c, who).post(path.format(c=c.collection), json=body)


def get(path: str) -> Callable[[Ctx], object]:
    return lambda c: c.analyst.get(path.format(c=c.collection))


def raw(path: str, data: bytes | Callable[[Ctx], bytes]) -> Callable[[Ctx], object]:
    return lambda c: c.analyst.post(path, data=data(c) if callable(data) else data,
                                    headers={"Content-Type": "application/json"})


def upload(size: int) -> Callable[[Ctx], object]:
    return lambda c: c.analyst.post(
        f"{COLLECTIONS}/{c.collection}/documents", content_type="multipart/form-data",
        data={"file": [(io.BytesIO(b"y" * size), "big.txt")]})


def nested(depth: int) -> bytes:
    return (b'{"workflow": "smoke", "params": {"start": 1, "x": ' + b"[" * depth
            + b"]" * depth + b"}}")


def many_keys(n: int) -> bytes:
    """A sentiment job whose params have ``n`` keys, all but one unknown."""
    params = {"texts": ["a"], **{f"k{i}": 1 for i in range(n - 1)}}
    return json.dumps({"workflow": "sentiment", "params": params}).encode()


def leaves(errors) -> int:
    """How many messages an error tree holds."""
    if isinstance(errors, dict):
        return sum(leaves(child) for child in errors.values())
    return len(errors) if isinstance(errors, list) else 1


COLLECTION = f"{COLLECTIONS}/{{c}}"
DOCS = f"{COLLECTION}/documents"
SERIES = {"values": [1.0, 2.0, 3.0, 4.0], "frequency": "D"}
GBM = {"s0": 100, "drift": 0.05, "volatility": 0.2, "horizon": 1, "steps": 10}

# (id, request, status, where the error is reported: path into "errors")
CASES = [
    ("body over DIA3_MAX_BODY_BYTES", raw(JOBS, lambda c: b"a" * (c.max_body + 1)), 413, []),
    ("JSON nested over 64 levels", raw(JOBS, nested(64)), 400, ["json"]),
    ("sentiment: over 10,000 texts", job("sentiment", texts=["a"] * 10_001), 422,
     ["json", "params", "texts"]),
    ("an object over 1,000 keys", raw(JOBS, lambda c: many_keys(1_001)), 422,
     ["json", "params"]),
    ("a list over 100,000 items", job("monte_carlo", model="gbm", n_simulations=10,
                                      params=GBM, thresholds=[1.0] * 100_001), 422,
     ["json", "params", "thresholds"]),
    ("sentiment: 100,000 texts of the wrong type", job("sentiment", texts=[1] * 100_000), 422,
     ["json", "params", "texts"]),
    ("sentiment: text over 20,000 characters", job("sentiment", texts=["a" * 20_001]), 422,
     ["json", "params", "texts", "0"]),
    ("forecast: over 2,000 series", job("forecast", series=[SERIES] * 2_001, horizon=2), 422,
     ["json", "params", "series"]),
    ("forecast: series over 100,000 values",
     job("forecast", series=[{"values": [1.0] * 100_001, "frequency": "D"}], horizon=2), 422,
     ["json", "params", "series", "0", "values"]),
    ("forecast: horizon over 1,000", job("forecast", series=[SERIES], horizon=1_001), 422,
     ["json", "params", "horizon"]),
    ("monte_carlo: over 1e9 simulations",
     job("monte_carlo", model="gbm", n_simulations=10**9 + 1, params=GBM), 422,
     ["json", "params", "n_simulations"]),
    ("monte_carlo: over 2e11 path-steps",
     job("monte_carlo", model="gbm", n_simulations=10**9, params={**GBM, "steps": 1000}), 422,
     ["json", "params", "n_simulations"]),
    ("monte_carlo: over 100,000 steps",
     job("monte_carlo", model="gbm", n_simulations=10, params={**GBM, "steps": 100_001}), 422,
     ["json", "params", "params", "steps"]),
    ("monte_carlo: over 256 shards",
     job("monte_carlo", model="gbm", n_simulations=10, shards=257, params=GBM), 422,
     ["json", "params", "shards"]),
    ("scenario_forecast: over 1e6 paths",
     job("scenario_forecast", series={**SERIES, "horizon": 2}, n_paths=10**6 + 1), 422,
     ["json", "params", "n_paths"]),
    ("scenario_forecast: paths x horizon over 5e6",
     job("scenario_forecast", series={**SERIES, "horizon": 10}, n_paths=500_001), 422,
     ["json", "params", "n_paths"]),
    ("summarize: text over 2,000,000 characters", job("summarize", text="a" * 2_000_001),
     422, ["json", "params", "text"]),
    ("strategic_analysis: over 8 perspectives",
     job("strategic_analysis", question="why?", collection="c",
         perspectives=[f"p{i}" for i in range(9)]), 422, ["json", "params", "perspectives"]),
    ("youtube: over 10 languages",
     job("youtube", video="dQw4w9WgXcQ", collection="c", languages=["en"] * 11), 422,
     ["json", "params", "languages"]),
    ("idempotency key over 200 characters",
     lambda c: c.analyst.submit("smoke", {}, idempotency_key="k" * 201), 422,
     ["json", "idempotency_key"]),
    ("jobs page over DIA3_PAGE_SIZE_MAX", get(f"{JOBS}?limit=21"), 422, ["query", "limit"]),
    ("jobs cursor over 500 characters", get(f"{JOBS}?cursor={'c' * 501}"), 422,
     ["query", "cursor"]),
    ("documents page over DIA3_PAGE_SIZE_MAX", get(f"{DOCS}?limit=21"), 422,
     ["query", "limit"]),
    ("documents offset over 2**31 - 1", get(f"{DOCS}?offset={2**31}"), 422,
     ["query", "offset"]),
    ("ingest: over DIA3_DOCUMENTS_PER_JOB_MAX documents",
     post(DOCS, {"documents": [{"text": f"d{i}"} for i in range(4)]}), 422,
     ["json", "documents"]),
    ("ingest: document over DIA3_UPLOAD_MAX_BYTES",
     post(DOCS, {"documents": [{"text": "a" * 1001}]}), 422, ["json", "documents", "0", "text"]),
    ("upload: file over DIA3_UPLOAD_MAX_BYTES", upload(1001), 413, ["files", "0"]),
    ("search: query over 2,000 characters", post(f"{COLLECTION}/search", {"query": "q" * 2001}),
     422, ["json", "query"]),
    ("search: k over 100", post(f"{COLLECTION}/search", {"query": "q", "k": 101}), 422,
     ["json", "k"]),
    ("collection: name over 128 characters", post(COLLECTIONS, {"name": "c" * 129}), 422,
     ["json", "name"]),
    ("collection: description over 1,000 characters",
     post(COLLECTIONS, {"name": "ok", "description": "d" * 1001}), 422, ["json", "description"]),
    ("key: tenant over 64 characters",
     post("/api/v1/keys", {"role": "viewer", "tenant": "t" * 65}, "admin"), 422,
     ["json", "tenant"]),
    ("key: name over 100 characters",
     post("/api/v1/keys", {"role": "viewer", "tenant": "t", "name": "n" * 101}, "admin"), 422,
     ["json", "name"]),
    ("key: expiry over 3,650 days",
     post("/api/v1/keys", {"role": "viewer", "tenant": "t", "expires_in_days": 3651}, "admin"),
     422, ["json", "expires_in_days"]),
]


@pytest.mark.parametrize("request_, status, where", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_over_the_limit_is_a_clear_4xx(ctx, request_, status, where):
    response = request_(ctx)
    body = response.get_json()
    assert response.status_code == status, body
    assert set(body) == {"code", "status", "message", "errors"} and body["message"]
    errors = body["errors"]
    for part in where:
        assert part in errors, (part, body)
        errors = errors[part]
    assert ctx.analyst.get(JOBS).get_json()["items"] == []  # nothing was recorded


def test_just_under_the_limits_is_accepted(ctx):
    """The same requests at the limit succeed, so the cases above test the limit itself."""
    assert ctx.analyst.submit("sentiment", {"texts": ["a" * 20_000]}).status_code == 202
    assert ctx.analyst.get(f"{JOBS}?limit=20").status_code == 200
    assert ctx.analyst.get(f"{COLLECTIONS}/{ctx.collection}/documents?limit=20").status_code \
        == 200
    documents = [{"text": "a" * 1000}, {"text": "b"}, {"text": "c"}]
    accepted = ctx.analyst.post(f"{COLLECTIONS}/{ctx.collection}/documents",
                                json={"documents": documents})
    assert accepted.status_code == 202, accepted.get_json()
    nested_ok = ctx.analyst.post(JOBS, data=nested(62),
                                 headers={"Content-Type": "application/json"})
    assert nested_ok.status_code == 422  # parsed: only the unknown field "x" is refused


def test_a_tenant_at_its_collection_cap_cannot_create_another(make_client, settings_env):
    settings_env(DIA3_COLLECTIONS_PER_TENANT_MAX="2")
    analyst = make_client("analyst")  # a tenant of its own, with no collections yet
    first, _ = create_collection(analyst), create_collection(analyst)
    refused = analyst.post(COLLECTIONS, json={"name": "third", "embedder": "hashing"})
    assert refused.status_code == 409
    assert "DIA3_COLLECTIONS_PER_TENANT_MAX" in refused.get_json()["message"]
    assert "third" not in [c["name"] for c in analyst.get(COLLECTIONS).get_json()["items"]]
    assert analyst.delete(f"{COLLECTIONS}/{first}").status_code == 204
    assert analyst.post(COLLECTIONS, json={"name": "third",
                                           "embedder": "hashing"}).status_code == 201


def test_a_body_of_300000_unknown_keys_is_refused_quickly_and_briefly(ctx):
    """It cost 10-12 s of API CPU and answered 8.6 MB; now the key limit refuses it while the
    body is read, before validation walks it."""
    body = many_keys(300_000)
    began = time.perf_counter()
    response = ctx.analyst.post(JOBS, data=body, headers={"Content-Type": "application/json"})
    elapsed = time.perf_counter() - began
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "json": {"params": ["Has 300000 keys; an object may have at most 1000."]}}
    assert len(response.data) < 1000 and elapsed < 5, (len(response.data), elapsed)


def test_field_errors_are_bounded_with_a_count_of_the_rest(ctx):
    """10,000 wrong items (within every limit) give 100 field errors and the count of the
    others, not 10,000 errors."""
    response = ctx.analyst.submit("sentiment", {"texts": [1] * 10_000})
    body = response.get_json()
    assert response.status_code == 422
    assert leaves(body["errors"]["json"]) == 100 and body["errors"]["omitted"] == 9_900
    assert body["errors"]["json"]["params"]["texts"]["0"] == ["Not a valid string."]
    assert "9900 further field errors" in body["message"]
    at_the_limit = ctx.analyst.post(JOBS, data=many_keys(1_000),
                                    headers={"Content-Type": "application/json"})
    errors = at_the_limit.get_json()["errors"]
    assert at_the_limit.status_code == 422 and errors["omitted"] == 999 - 100
    assert all(value == ["Unknown field."] for value in errors["json"]["params"].values())

"""Every workflow end to end on the container stack, through nginx (TLS 1.3) with an API key:
submitted, run by the worker containers, and its result read back."""

from __future__ import annotations

import ssl
import urllib.request

import pytest

from tests.stack.jobs import (
    DOCUMENTS,
    assert_each_text_once,
    collection_with_documents,
    run,
    seasonal_series,
    texts,
)
from tests.youtube_scenarios import SUCCESS

pytestmark = pytest.mark.stack


def test_the_front_door_speaks_tls_1_3_only(stack):
    modern = ssl.create_default_context(cafile=stack.ca)
    with urllib.request.urlopen(stack.url + "/healthz", context=modern, timeout=10) as response:
        assert response.status == 200
    old = ssl.create_default_context(cafile=stack.ca)
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(OSError):
        urllib.request.urlopen(stack.url + "/healthz", context=old, timeout=10)


def test_requests_without_a_key_are_refused(stack):
    client = stack.client()
    client.session.headers.pop("X-API-Key")
    response = client.session.get(stack.url + "/api/v1/jobs", timeout=10)
    assert response.status_code == 401


def test_smoke(analyst):
    job, result = run(analyst, "smoke", {"start": 40})
    assert result == {"value": 42}
    assert set(job["steps"]) == {"first", "second", "finish"}


def test_sentiment(analyst):
    items = texts(600)
    job, result = run(analyst, "sentiment", {"texts": items})
    assert_each_text_once(result, 600)
    assert min(result["counts"].values()) >= 190  # a third of each mood
    assert job["progress"]["done"] == job["progress"]["total"] > 2  # batches and the aggregate


def test_forecast(analyst):
    series = [{"name": f"s{i}", "values": seasonal_series(60 + i)} for i in range(12)]
    _, result = run(analyst, "forecast", {"series": series, "horizon": 12, "frequency": "M",
                                          "levels": [80, 95]})
    assert [s["name"] for s in result["series"]] == [f"s{i}" for i in range(12)]
    first = result["series"][0]
    assert len(first["forecast"]) == 12 and set(first["intervals"]) == {"80", "95"}
    lower, upper = first["intervals"]["95"]["lower"], first["intervals"]["95"]["upper"]
    assert all(lo <= f <= hi for lo, f, hi in zip(lower, first["forecast"], upper))


def test_scenario_forecast(analyst):
    params = {"series": {"values": seasonal_series(), "horizon": 6, "frequency": "M"},
              "n_paths": 2000, "seed": 11, "thresholds": [150]}
    _, result = run(analyst, "scenario_forecast", params)
    fan = result["fan_chart"]["quantiles"]
    assert len(fan["p50"]) == 6
    assert all(lo <= mid <= hi for lo, mid, hi in zip(fan["p5"], fan["p50"], fan["p95"]))
    assert result["seed"] == 11 and result["n_paths"] + result["n_invalid"] == 2000


def test_monte_carlo_shards_give_the_same_result(analyst):
    gbm = {"model": "gbm", "n_simulations": 40_000, "seed": 7,
           "params": {"s0": 100, "drift": 0.05, "volatility": 0.2, "horizon": 1, "steps": 12}}
    _, one = run(analyst, "monte_carlo", {**gbm, "shards": 1})
    _, four = run(analyst, "monte_carlo", {**gbm, "shards": 4})
    volatile = ("shards", "compute_seconds")
    assert {k: v for k, v in one.items() if k not in volatile} == \
        {k: v for k, v in four.items() if k not in volatile}


def test_ingest_with_the_local_embedder_into_chroma_and_search(analyst):
    name, result = collection_with_documents(analyst, DOCUMENTS)
    assert result["totals"]["documents"] == 3, result
    collection = analyst.collection(name)
    assert collection["document_count"] == 3 and collection["embedder"].startswith("local:")
    hits = analyst.search(name, "battery production costs", k=2)["hits"]
    assert hits[0]["document_id"] == "technology"


def test_youtube_from_the_recorded_responses(analyst):
    name = f"talks-{SUCCESS.lower()}"
    analyst.create_collection(name, embedder="local")
    _, result = run(analyst, "youtube", {"video": f"https://youtu.be/{SUCCESS}",
                                         "collection": name, "window_seconds": 5})
    assert result["video_id"] == SUCCESS and result["segments"] == 3
    assert result["ingest"]["document_id"] == f"youtube:{SUCCESS}"
    assert result["sentiment"]["count"] == 3 and result["summary"]
    assert analyst.search(name, "test transcript", k=1)["hits"]


def test_strategic_analysis_on_the_local_backend(analyst):
    name, _ = collection_with_documents(analyst, DOCUMENTS)
    job, result = run(analyst, "strategic_analysis", {
        "question": "Should Acme expand into Asia?", "collection": name, "backend": "local",
        "k": 6})
    assert {f"perspective-{i}" for i in range(4)} <= set(job["steps"])
    cited = {c["id"] for c in result["report"]["citations"]}
    assert cited and cited <= {e["id"] for e in result["evidence"]}
    assert "## SWOT" in result["markdown"]


def test_summarize(analyst):
    text = "\n\n".join(
        f"Section {i}. Acme's revenue grew strongly in region {i}, helped by demand for its new "
        f"batteries. Regulators in region {i} are investigating its data practices."
        for i in range(30))
    _, result = run(analyst, "summarize", {"text": text, "max_points": 4, "backend": "local"})
    assert 1 <= len(result["key_points"]) <= 4
    assert all(point in text for point in result["key_points"])

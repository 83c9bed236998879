"""Usage records, cost from the price table, and the Prometheus metrics of each call."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from tests.fakes import ScriptedResponse
from tests.unit.agents.conftest import MESSAGES, PERSPECTIVE_SCHEMA, VALID_PERSPECTIVE, Provider
from workers.llm import (
    LOCAL_MODEL,
    LLMClient,
    LocalBackend,
    ModelPrice,
    PriceTable,
    RequestOptions,
    UsageRecord,
    summarise_usage,
)
from workers.llm import metrics as llm_metrics


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_price_lookup_by_exact_name_then_longest_prefix() -> None:
    prices = PriceTable({"gpt-4o": (2.5, 10.0), "gpt-4o-mini": ModelPrice(0.15, 0.6)})

    assert prices.cost("gpt-4o", 1_000_000, 1_000_000) == pytest.approx(12.5)
    assert prices.cost("gpt-4o-2024-08-06", 2_000_000, 0) == pytest.approx(5.0)
    assert prices.cost("gpt-4o-mini-2024", 0, 1_000_000) == pytest.approx(0.6)
    assert prices.cost("llama3.2", 10, 10) is None


def test_metrics_follow_each_call(provider: Provider) -> None:
    backend, model = provider.name, provider.model
    before = {
        "ok": _value("dia3_llm_requests_total", backend=backend, model=model, outcome="ok"),
        "transient": _value(
            "dia3_llm_requests_total", backend=backend, model=model, outcome="transient_error"
        ),
        "input": _value("dia3_llm_tokens_total", backend=backend, model=model, kind="input"),
        "output": _value("dia3_llm_tokens_total", backend=backend, model=model, kind="output"),
        "cost": _value("dia3_llm_cost_usd_total", backend=backend, model=model),
        "seconds": _value("dia3_llm_request_seconds_count", backend=backend, model=model),
        "retries": _value("dia3_llm_retries_total", backend=backend, model=model),
    }
    provider.server.enqueue(
        provider.server_error(500), ScriptedResponse.reply("fine", usage=(1000, 200))
    )
    usage = provider.client().chat(MESSAGES).usage

    assert usage.cost_usd == pytest.approx((1000 * 2.5 + 200 * 10.0) / 1_000_000)
    ok = _value("dia3_llm_requests_total", backend=backend, model=model, outcome="ok")
    transient = _value(
        "dia3_llm_requests_total", backend=backend, model=model, outcome="transient_error"
    )
    assert ok - before["ok"] == 1 and transient - before["transient"] == 1
    assert _value("dia3_llm_tokens_total", backend=backend, model=model, kind="input") == (
        before["input"] + 1000
    )
    assert _value("dia3_llm_tokens_total", backend=backend, model=model, kind="output") == (
        before["output"] + 200
    )
    assert _value("dia3_llm_cost_usd_total", backend=backend, model=model) == pytest.approx(
        before["cost"] + usage.cost_usd
    )
    assert _value("dia3_llm_request_seconds_count", backend=backend, model=model) == (
        before["seconds"] + 2
    )
    assert _value("dia3_llm_retries_total", backend=backend, model=model) == before["retries"] + 1


def test_repair_usage_adds_both_calls(provider: Provider) -> None:
    provider.server.enqueue(
        ScriptedResponse.reply("{oops", usage=(100, 10)),
        ScriptedResponse.json_reply(VALID_PERSPECTIVE, usage=(150, 20)),
    )
    labels = {"backend": provider.name, "model": provider.model, "outcome": "ok"}
    repairs_before = _value("dia3_llm_structured_repairs_total", **labels)

    usage = provider.client().structured(MESSAGES, PERSPECTIVE_SCHEMA).usage

    assert (usage.input_tokens, usage.output_tokens) == (250, 30)
    assert usage.cost_usd == pytest.approx((250 * 2.5 + 30 * 10.0) / 1_000_000)
    assert usage.repaired and usage.upstream_requests == 2
    assert _value("dia3_llm_structured_repairs_total", **labels) == repairs_before + 1


def test_unpriced_models_are_flagged(provider: Provider) -> None:
    usage = provider.client(prices=PriceTable()).chat(MESSAGES).usage
    assert usage.cost_usd == 0.0 and usage.priced is False


def test_local_calls_are_free_and_estimated() -> None:
    usage = LLMClient(LocalBackend(), default_model=LOCAL_MODEL).chat(MESSAGES).usage
    assert usage.cost_usd == 0.0 and usage.priced and usage.tokens_estimated
    assert usage.input_tokens > 0


def test_role_models_choose_the_model(provider: Provider) -> None:
    client = provider.client(role_models={"final_report": "big-model"})
    client.chat(MESSAGES, RequestOptions(role="final_report"))
    client.chat(MESSAGES, RequestOptions(role="perspective"))

    assert [r.json["model"] for r in provider.server.requests] == ["big-model", provider.model]


def test_usage_record_serialises_and_sums() -> None:
    first = UsageRecord("openai", "gpt-4o", "llm", 100, 10, cost_usd=0.5, upstream_requests=1)
    hit = UsageRecord("openai", "gpt-4o", "llm", cached=True)
    local = UsageRecord("local", LOCAL_MODEL, "extractive", 50, 5, tokens_estimated=True)

    assert first.to_dict()["total_tokens"] == 110
    totals = summarise_usage([first, hit, local])
    assert totals["calls"] == 3 and totals["cache_hits"] == 1
    assert totals["input_tokens"] == 150 and totals["cost_usd"] == pytest.approx(0.5)
    assert totals["by_model"]["openai/gpt-4o"]["calls"] == 2


def test_metric_names() -> None:
    names = {
        metric._name
        for metric in vars(llm_metrics).values()
        if hasattr(metric, "_name") and hasattr(metric, "_labelnames")
    }
    assert {
        "dia3_llm_requests",
        "dia3_llm_tokens",
        "dia3_llm_cost_usd",
        "dia3_llm_cache_hits",
        "dia3_llm_cache_misses",
        "dia3_llm_rate_limit_wait_seconds",
        "dia3_llm_request_seconds",
    } <= names

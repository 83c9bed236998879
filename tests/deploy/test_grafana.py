"""Grafana provisioning: the datasource and dashboards load as Grafana expects, every panel's
PromQL passes promtool, and every metric a panel uses is exposed by DIA3 (API and worker
/metrics, Flower's Celery metrics) or by Prometheus itself."""

from __future__ import annotations

import json
import re
import sys

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.tools import COMPOSE_DIR, ROOT, run, system_binary

GRAFANA = COMPOSE_DIR / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
# Grafana's interval variables, replaced by durations for promtool.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "1h", "$__interval": "1m"}
# Made by Prometheus for every target, not by an exporter.
PROMETHEUS_SYNTHETIC = {"up"}
PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "rate", "irate", "increase", "deriv", "delta",
    "histogram_quantile", "by", "without", "on", "ignoring", "group_left", "group_right",
    "and", "or", "unless", "offset", "bool", "topk", "bottomk", "clamp_min", "clamp_max",
    "abs", "time", "vector", "scalar", "label_replace", "quantile", "stddev", "inf", "nan",
}


def panels():
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            yield path.stem, board, panel


def exprs():
    for name, _, panel in panels():
        for target in panel["targets"]:
            yield name, panel["title"], target["expr"]


def promql(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers outside label matchers, grouping
    clauses and strings that are not functions or keywords."""
    text = re.sub(r'"[^"]*"', "", promql(expr))
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group(0)
        following = text[match.end():].lstrip()[:1]
        if following == "(" or word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


def sample_names(exposition: str) -> set[str]:
    """Every series name a family can produce, from its type (also for families that have
    no samples yet because no label values were observed)."""
    suffixes = {"counter": ("_total", "_created"), "gauge": ("",), "untyped": ("",),
                "histogram": ("_bucket", "_sum", "_count", "_created"),
                "summary": ("", "_sum", "_count", "_created")}
    names = set()
    for family in text_string_to_metric_families(exposition):
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


# What a worker process registers (steps, jobs, the agents' LLM layer) and what Flower exports,
# each rendered in a fresh interpreter so this test process's registry stays as it was.
WORKER_EXPOSITION = """
import sys
import app.metrics, workers.runtime.celery_app, workers.llm.metrics
from prometheus_client import generate_latest
sys.stdout.write(generate_latest().decode())
"""
FLOWER_EXPOSITION = """
import sys
from flower.events import get_prometheus_metrics
from prometheus_client import generate_latest
get_prometheus_metrics()
sys.stdout.write(generate_latest().decode())
"""


def exposition_of(code: str) -> str:
    result = run([sys.executable, "-c", code], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def exposed(flask_app):
    """Series names DIA3 exposes: the API's /metrics (with the Redis collector: queues,
    workers), a worker process's metrics, and Flower's Celery metrics."""
    response = flask_app.test_client().get("/metrics")
    assert response.status_code == 200
    api = sample_names(response.get_data(as_text=True))
    worker = sample_names(exposition_of(WORKER_EXPOSITION))
    flower = sample_names(exposition_of(FLOWER_EXPOSITION))
    assert {"dia3_queue_length", "dia3_http_requests_total"} <= api
    assert {"dia3_tasks_total", "dia3_llm_tokens_total"} <= worker
    assert "flower_worker_online" in flower
    return api | worker | flower


def test_provisioning_points_dashboards_at_the_datasource():
    datasources = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert [d["uid"] for d in datasources] == ["dia3-prometheus"]
    assert datasources[0]["url"] == "http://prometheus:9090"
    providers = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "dia3.yml").read_text())["providers"]
    assert providers[0]["type"] == "file"
    titles = {json.loads(p.read_text())["uid"] for p in DASHBOARDS}
    assert titles == {"dia3-jobs", "dia3-queues-workers", "dia3-api", "dia3-llm"}
    for _, _, panel in panels():
        assert panel["datasource"]["uid"] == "dia3-prometheus"
        assert panel["targets"], panel["title"]
        assert all(t["datasource"]["uid"] == "dia3-prometheus" for t in panel["targets"])


def test_panel_ids_are_unique_and_panels_fit_the_grid():
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in board["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] + grid["w"] <= 24, (path.name, panel["title"])


def test_every_panel_query_passes_promtool(tmp_path):
    rules = [{"record": f"dia3:panel_{i}", "expr": promql(expr)}
             for i, (_, _, expr) in enumerate(exprs())]
    assert len(rules) > 25
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    result = run([system_binary("promtool"), "check", "rules", str(path)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def test_promtool_rejects_a_broken_panel_query(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": [
        {"record": "dia3:broken", "expr": "sum by (queue (dia3_queue_length)"}]}]}))
    assert run([system_binary("promtool"), "check", "rules", str(path)]).returncode != 0


def test_metric_name_extraction():
    assert metric_names('histogram_quantile(0.95, sum by (le, route) (rate('
                        'dia3_http_request_duration_seconds_bucket{route!~"/x|y"}'
                        '[$__rate_interval])))') == {"dia3_http_request_duration_seconds_bucket"}
    assert metric_names("sum(up{job=\"a\"}) / max(dia3_workers_up) * 60") == {
        "up", "dia3_workers_up"}


def test_every_metric_a_panel_uses_is_exposed(exposed):
    used = {}
    for board, title, expr in exprs():
        for name in metric_names(expr):
            used.setdefault(name, []).append(f"{board}: {title}")
    missing = {name: where for name, where in used.items()
               if name not in exposed and name not in PROMETHEUS_SYNTHETIC}
    assert not missing, missing
    # every dashboard area is covered by its own metrics
    assert {"dia3_jobs_finished_total", "dia3_queue_length", "flower_worker_online",
            "dia3_http_request_duration_seconds_bucket", "dia3_llm_tokens_total",
            "dia3_llm_cost_usd_total", "dia3_llm_cache_hits_total"} <= set(used)

"""The landing page: what DIA3 is, live health of every component, and links.

A small Flask app rather than a second Streamlit process: it is one server-rendered page that
refreshes itself, needs no session, and costs a few megabytes. Health comes from the API's
``/readyz`` and ``/metrics`` (Redis, workers, queue depths) and from each surface's own health
endpoint; all probes run in parallel with short timeouts so a dead component shows as down
instead of stalling the page.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from flask import Flask, jsonify, render_template_string
from prometheus_client.parser import text_string_to_metric_families

from app.settings import Settings, get_settings
from ui import urls
from ui.client import SurfaceClient

PROBE_TIMEOUT = 2.0


def parse_metrics(text: str) -> dict[str, Any]:
    """Queue depths, live workers and Redis reachability from the API's Prometheus text."""
    out: dict[str, Any] = {"queues": {}, "workers_up": None, "redis_up": None}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "dia3_queue_length":
                out["queues"][sample.labels.get("queue", "?")] = int(sample.value)
            elif sample.name == "dia3_workers_up":
                out["workers_up"] = int(sample.value)
            elif sample.name == "dia3_redis_up":
                out["redis_up"] = bool(sample.value)
    return out


def _api(settings: Settings) -> dict[str, Any]:
    client = SurfaceClient(settings.client_api_url, None, timeout=PROBE_TIMEOUT)
    try:
        ready, body = client.readyz()
        metrics = parse_metrics(client.metrics_text())
    except (requests.RequestException, ValueError) as exc:
        return {"up": False, "error": exc.__class__.__name__}
    return {"up": True, "ready": ready, "readyz": body, **metrics}


def _http_up(url: str, expect: tuple[int, ...] = (200,)) -> dict[str, Any]:
    try:
        status = requests.get(url, timeout=PROBE_TIMEOUT, allow_redirects=False).status_code
    except requests.RequestException as exc:
        return {"up": False, "error": exc.__class__.__name__}
    return {"up": status in expect, "status": status}


def gather(settings: Settings) -> dict[str, Any]:
    """Everything the page shows, probed in parallel."""
    probes = {
        "api": lambda: _api(settings),
        "dashboard": lambda: _http_up(urls.dashboard_probe_url(settings) + "/_stcore/health"),
        "flower": lambda: _http_up(urls.flower_probe_url(settings) + "/healthcheck"),
        # The MCP endpoint refuses a request without a key: a 401 means it is up.
        "mcp": lambda: _http_up(urls.mcp_probe_url(settings), expect=(401,)),
    }
    with ThreadPoolExecutor(len(probes)) as pool:
        futures = {name: pool.submit(probe) for name, probe in probes.items()}
        status = {name: future.result() for name, future in futures.items()}
    api = status["api"]
    checks = (api.get("readyz") or {}).get("checks", {})
    workers = checks.get("workers", {})
    components = [
        ("REST API", api["up"], urls.api_public_url(settings),
         "ready" if api.get("ready") else "; ".join((api.get("readyz") or {}).get("missing", []))
         or api.get("error", "")),
        ("Redis", bool(checks.get("redis", {}).get("ok") or api.get("redis_up")), "",
         "" if api.get("redis_up") is not False else "unreachable from the API"),
        ("Workers", bool(workers.get("count")), "",
         f"{workers.get('count', api.get('workers_up') or 0)} alive: "
         + ", ".join(workers.get("hostnames", []))),
        ("Dashboard", status["dashboard"]["up"], urls.dashboard_url(settings), ""),
        ("Flower", status["flower"]["up"], urls.flower_url(settings), ""),
        ("MCP server", status["mcp"]["up"], urls.mcp_public_url(settings), ""),
    ]
    return {
        "components": [{"name": n, "up": up, "url": url, "detail": detail}
                       for n, up, url, detail in components],
        "queues": api.get("queues", {}),
        "workers_up": api.get("workers_up"),
        "links": {"Dashboard": urls.dashboard_url(settings),
                  "API docs": urls.api_docs_url(settings),
                  "Flower": urls.flower_url(settings),
                  **({"Grafana": urls.grafana_url(settings)} if urls.grafana_url(settings)
                     else {})},
    }


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{{ refresh }}">
<title>DIA3 — Distributed Intelligence Analysis</title>
<style>
 body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
 table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
 td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}
 .up{color:#1a7f37;font-weight:600}.down{color:#cf222e;font-weight:600}
 nav a{display:inline-block;margin-right:1rem;padding:.5rem 1rem;border:1px solid #0969da;
  border-radius:.4rem;text-decoration:none;color:#0969da}
</style></head><body>
<h1>DIA3 — Distributed Intelligence Analysis</h1>
<p>DIA3 runs analysis jobs — sentiment over thousands of texts, forecasting, Monte Carlo
simulation, LLM-assisted strategic analysis over a knowledge base — as Celery workflows on
Redis. Submit a job in the dashboard, over REST or through an MCP client, follow it step by
step, and read a durable result.</p>
<nav>{% for name, url in links.items() %}<a href="{{ url }}">{{ name }}</a>{% endfor %}</nav>
<h2>Health</h2>
<table id="components"><tr><th>component</th><th>state</th><th>detail</th></tr>
{% for c in components %}<tr data-component="{{ c.name }}"><td>{% if c.url %}<a
 href="{{ c.url }}">{{ c.name }}</a>{% else %}{{ c.name }}{% endif %}</td>
<td class="{{ 'up' if c.up else 'down' }}">{{ 'up' if c.up else 'down' }}</td>
<td>{{ c.detail }}</td></tr>{% endfor %}</table>
<h2>Queues</h2>
<table id="queues"><tr><th>queue</th><th>waiting steps</th></tr>
{% for q, n in queues.items() %}<tr data-queue="{{ q }}"><td>{{ q }}</td><td>{{ n }}</td></tr>
{% else %}<tr><td colspan="2">unknown (the API's metrics are unreachable)</td></tr>{% endfor %}
</table>
<p><small>Refreshes every {{ refresh }} s · machine-readable: <a
 href="status.json">status.json</a></small></p>
</body></html>"""


def create_app(settings: Settings | None = None) -> Flask:
    app = Flask("dia3-landing")

    def current() -> Settings:
        return settings or get_settings()

    @app.get("/")
    def index():
        return render_template_string(PAGE, refresh=max(5, int(current().ui_refresh_seconds)),
                                      **gather(current()))

    @app.get("/status.json")
    def status():
        return jsonify(gather(current()))

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app

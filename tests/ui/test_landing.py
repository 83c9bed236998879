"""The landing page against a real API: live health of every component, queue depths, links;
components that are not running show as down without breaking the page."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from tests.conftest import free_port
from ui.landing.app import create_app

pytestmark = pytest.mark.integration


def row(html: str, name: str) -> str:
    return re.search(rf'<tr data-component="{name}">(.*?)</tr>', html, re.S).group(1)


def test_page_shows_live_health_queues_and_links(dashboard_settings, worker):
    nothing = free_port()  # dashboard, Flower and MCP are not running in this test
    settings = replace(dashboard_settings, ui_port=nothing, flower_port=nothing,
                       mcp_port=nothing, grafana_url="http://grafana.example:3000/")
    client = create_app(settings).test_client()
    html = client.get("/").get_data(as_text=True)
    assert "DIA3 — Distributed Intelligence Analysis" in html
    assert 'class="up">up' in row(html, "REST API") and "ready" in row(html, "REST API")
    assert 'class="up">up' in row(html, "Redis")
    assert worker.name in row(html, "Workers")
    for name in ("Dashboard", "Flower", "MCP server"):
        assert 'class="down">down' in row(html, name)
    assert set(re.findall(r'data-queue="(\w+)"', html)) == {"default", "ingest", "agents",
                                                            "analytics", "webhooks"}
    status = client.get("/status.json").get_json()
    assert status["workers_up"] >= 1
    assert status["links"]["Grafana"] == "http://grafana.example:3000"
    assert status["links"]["API docs"] == dashboard_settings.client_api_url + "/api/v1/docs"


def test_an_unreachable_api_is_reported_not_raised(dashboard_settings):
    settings = replace(dashboard_settings, api_url=f"http://127.0.0.1:{free_port()}")
    status = create_app(settings).test_client().get("/status.json").get_json()
    api = status["components"][0]
    assert (api["name"], api["up"], api["detail"]) == ("REST API", False, "ConnectionError")
    assert status["queues"] == {} and "Grafana" not in status["links"]


def test_health_is_probed_inside_while_links_stay_public(dashboard_settings):
    """Behind a proxy the public URL may not be reachable from the landing page's host."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Healthy(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            self.send_response(200 if self.path == "/dashboard/_stcore/health" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Healthy)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = replace(dashboard_settings, dashboard_url="https://dia3.invalid/dashboard/",
                           dashboard_probe_url=f"http://127.0.0.1:{server.server_port}/dashboard")
        status = create_app(settings).test_client().get("/status.json").get_json()
    finally:
        server.shutdown()
    dashboard = next(c for c in status["components"] if c["name"] == "Dashboard")
    assert dashboard["up"] is True and dashboard["url"] == "https://dia3.invalid/dashboard"
    assert status["links"]["Dashboard"] == "https://dia3.invalid/dashboard"


def test_behind_a_proxy_the_api_and_mcp_links_are_public():
    """The API's internal address (DIA3_API_URL) and the MCP bind address are not what a user
    can open: with DIA3_PUBLIC_URL the links go through the proxy."""
    from app.settings import Settings
    from ui import urls
    settings = Settings(public_url="https://dia3.example/", api_url="http://api:8003",
                        mcp_host="0.0.0.0")
    assert urls.api_public_url(settings) == "https://dia3.example"
    assert urls.mcp_public_url(settings) == "https://dia3.example/mcp"
    assert urls.mcp_probe_url(settings) == "http://127.0.0.1:8000/mcp"  # probed locally
    local = Settings(api_url="http://127.0.0.1:8003")
    assert urls.api_public_url(local) == "http://127.0.0.1:8003"
    assert urls.mcp_public_url(local) == "http://127.0.0.1:8000/mcp"

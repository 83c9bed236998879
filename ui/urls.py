"""Where each DIA3 surface lives, derived once from settings so every link agrees.

The landing page, the dashboard and ``dia3 up`` all print or link these; an explicit external
URL (behind a proxy) wins over the bind address and port. The landing page checks health at
the ``*_probe_url`` addresses, which inside a cluster are the services' own (the external URL
goes through the ingress, which the landing pod may not reach).
"""

from __future__ import annotations

from app.settings import Settings


def _local(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
    shown = "[::1]" if shown == "::" else shown
    return f"http://{shown}:{port}"


def api_url(settings: Settings) -> str:
    return settings.client_api_url


def api_public_url(settings: Settings) -> str:
    """The API as users reach it: behind a proxy, the public URL, not the internal address."""
    return (settings.public_url or settings.client_api_url).rstrip("/")


def api_docs_url(settings: Settings) -> str:
    return api_public_url(settings) + "/api/v1/docs"


def dashboard_url(settings: Settings) -> str:
    return (settings.dashboard_url or _local(settings.ui_host, settings.ui_port)).rstrip("/")


def landing_url(settings: Settings) -> str:
    return _local(settings.ui_host, settings.landing_port)


def flower_url(settings: Settings) -> str:
    return (settings.flower_url or _local(settings.ui_host, settings.flower_port)).rstrip("/")


def mcp_url(settings: Settings) -> str:
    return _local(settings.mcp_host, settings.mcp_port) + "/mcp"


def mcp_public_url(settings: Settings) -> str:
    """The MCP endpoint as users reach it (the proxy routes /mcp), else the local one."""
    return settings.public_url.rstrip("/") + "/mcp" if settings.public_url else mcp_url(settings)


def grafana_url(settings: Settings) -> str | None:
    return settings.grafana_url.rstrip("/") or None


def dashboard_probe_url(settings: Settings) -> str:
    return settings.dashboard_probe_url.rstrip("/") or dashboard_url(settings)


def flower_probe_url(settings: Settings) -> str:
    return settings.flower_probe_url.rstrip("/") or flower_url(settings)


def mcp_probe_url(settings: Settings) -> str:
    return settings.mcp_probe_url.rstrip("/") or mcp_url(settings)

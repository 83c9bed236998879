"""``dia3 ui``, ``dia3 landing``, ``dia3 flower`` and ``dia3 mcp``, and how ``dia3 up`` starts
them next to the worker and the API."""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import click
import requests

from app.runtime import process as runtime
from app.runtime.ports import free_port, port_free
from app.runtime.private import generated_secret
from app.settings import Settings, get_settings

FLOWER_PASSWORD_FILE = "flower-password"


# ---- Flower credentials ----------------------------------------------------------------------
def flower_credentials(settings: Settings | None = None) -> tuple[str, str]:
    """(user, password) for Flower's basic auth: the configured password, else one generated
    on first use and kept (mode 0600) in the data directory, so Flower is never open."""
    settings = settings or get_settings()
    user, password = settings.flower_user, settings.flower_password
    if not password:
        password = generated_secret(settings.data_path / FLOWER_PASSWORD_FILE)
    # Flower splits its basic-auth option on ',' (several users) and ':' (user:password).
    if not user or ":" in user or "," in user or "," in password:
        raise click.ClickException("DIA3_FLOWER_USER must be non-empty without ':' or ',', and "
                                   "DIA3_FLOWER_PASSWORD without ','")
    return user, password


# ---- the commands ------------------------------------------------------------------------------
@click.command("ui")
@click.option("--host", default=None, help="Bind address (DIA3_UI_HOST)")
@click.option("--port", type=int, default=None, help="Port (DIA3_UI_PORT)")
def ui(host: str | None, port: int | None) -> None:
    """Run the Streamlit dashboard."""
    import ui.dashboard
    settings = get_settings()
    script = Path(ui.dashboard.__file__).with_name("streamlit_app.py")
    upload_mb = max(1, math.ceil(settings.max_body_bytes / 2**20))
    args = [sys.executable, "-m", "streamlit", "run", str(script),
            "--server.address", host or settings.ui_host,
            "--server.port", str(port or settings.ui_port),
            "--server.headless", "true", "--server.fileWatcherType", "none",
            "--server.maxUploadSize", str(upload_mb), "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "minimal", "--global.developmentMode", "false"]
    os.execv(sys.executable, args)


@click.command("landing")
@click.option("--host", default=None, help="Bind address (DIA3_UI_HOST)")
@click.option("--port", type=int, default=None, help="Port (DIA3_LANDING_PORT)")
def landing(host: str | None, port: int | None) -> None:
    """Run the landing page (what DIA3 is, live health, links)."""
    runtime.setup_logging()
    from gunicorn.app.base import BaseApplication

    from app.cli.serve import post_fork
    from ui.landing.app import create_app
    settings = get_settings()

    class LandingServer(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"bind": f"{host or settings.ui_host}:"
                                       f"{port or settings.landing_port}",
                               "workers": 1, "threads": 4, "worker_class": "gthread",
                               "accesslog": None, "errorlog": "-",
                               "loglevel": "warning", "post_fork": post_fork}.items():
                self.cfg.set(key, value)

        def load(self):
            return create_app()

    LandingServer().run()


@click.command("flower")
@click.option("--host", default=None, help="Bind address (DIA3_UI_HOST)")
@click.option("--port", type=int, default=None, help="Port (DIA3_FLOWER_PORT)")
def flower(host: str | None, port: int | None) -> None:
    """Run Flower on DIA3's broker, with basic auth (DIA3_FLOWER_USER/PASSWORD)."""
    runtime.setup_logging()
    runtime.ensure_redis()
    settings = get_settings()
    user, password = flower_credentials(settings)
    # Through the environment rather than argv, so the password is not in the process list.
    os.environ["FLOWER_BASIC_AUTH"] = f"{user}:{password}"
    # Flower's own /metrics counts in this process only (no multi-process directory).
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    from app.extensions import celery as get_celery
    get_celery().start(["flower", f"--address={host or settings.ui_host}",
                        f"--port={port or settings.flower_port}", "--purge_offline_workers=60",
                        f"--logging={settings.log_level.lower()}"])


@click.command("mcp")
@click.option("--host", default=None, help="Bind address (DIA3_MCP_HOST)")
@click.option("--port", type=int, default=None, help="Port (DIA3_MCP_PORT)")
def mcp(host: str | None, port: int | None) -> None:
    """Run the MCP server (streamable HTTP at /mcp; Bearer DIA3 API key)."""
    runtime.setup_logging()
    runtime.ensure_redis()
    import uvicorn

    from app.mcp.server import create_app
    settings = replace(get_settings(), mcp_host=host or get_settings().mcp_host)
    uvicorn.run(create_app(settings), host=settings.mcp_host, port=port or settings.mcp_port,
                log_level="warning")


COMMANDS = (ui, landing, flower, mcp)


# ---- starting them from `dia3 up` --------------------------------------------------------------
@dataclass(frozen=True)
class Surface:
    name: str
    port_setting: str
    host_setting: str
    health_path: str
    healthy: tuple[int, ...] = (200,)


SURFACES = (
    Surface("flower", "flower_port", "ui_host", "/healthcheck"),
    Surface("ui", "ui_port", "ui_host", "/_stcore/health"),
    Surface("landing", "landing_port", "ui_host", "/healthz"),
    # Without a key the MCP endpoint answers 401: that is how it says it is up.
    Surface("mcp", "mcp_port", "mcp_host", "/mcp", (401,)),
)


def plan_ports(settings: Settings) -> dict[str, str]:
    """Environment that moves each surface whose configured port is taken to a free one, so
    ``dia3 up`` starts even next to other services; every child gets the same overrides and
    therefore links to the right places."""
    env: dict[str, str] = {}
    for surface in SURFACES:
        host = getattr(settings, surface.host_setting)
        if not port_free(host, getattr(settings, surface.port_setting)):
            env[f"DIA3_{surface.port_setting.upper()}"] = str(free_port(host))
    return env


def start_surfaces(supervisor, env: dict[str, str], quiet: bool = False,
                   timeout: float = 90.0) -> dict[str, str]:
    """Start Flower, the dashboard, the landing page and the MCP server under ``supervisor``
    and wait until each answers; returns name → URL."""
    from ui import urls
    env = {**env, **plan_ports(get_settings())}
    settings = replace(get_settings(), **{key[5:].lower(): int(value)
                                          for key, value in env.items() if key.endswith("_PORT")})
    for surface in SURFACES:
        supervisor.start(surface.name, [surface.name], env=env, quiet=quiet)
    base = {"flower": urls.flower_url(settings), "ui": urls.dashboard_url(settings),
            "landing": urls.landing_url(settings),
            "mcp": urls.mcp_url(settings).removesuffix("/mcp")}
    deadline = time.monotonic() + timeout
    waiting = list(SURFACES)
    while waiting:
        problem = supervisor.failed()
        if problem:
            raise click.ClickException(problem)
        waiting = [s for s in waiting if not _answers(base[s.name] + s.health_path, s.healthy)]
        if waiting and time.monotonic() > deadline:
            names = ", ".join(s.name for s in waiting)
            raise click.ClickException(f"not answering after {timeout:.0f} s: {names}")
        if waiting:
            time.sleep(0.3)  # waiting for child processes to come up
    return {"dashboard": base["ui"], "landing": base["landing"], "Flower": base["flower"],
            "MCP": urls.mcp_url(settings)}


def _answers(url: str, healthy: tuple[int, ...]) -> bool:
    try:
        return requests.get(url, timeout=2).status_code in healthy
    except requests.RequestException:
        return False

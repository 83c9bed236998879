#!/usr/bin/env python3
"""Container health check of a DIA3 image: finds the role from the container's command
(``dia3 api``, ``dia3 worker …``, ``dia3 beat``, ``dia3 flower``, ``dia3 ui``, ``dia3 landing``,
``dia3 mcp``, ``dia3 chroma``, ``dia3 llm-server``) and asks that component's own health
endpoint on loopback; the scheduled backup (``dia3 backup --into DIR --every SECONDS``) serves
nothing, so it is healthy while its newest backup is younger than one interval and an hour.
Exit 0 healthy, 1 not."""

from __future__ import annotations

import glob
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

# role -> (port variable, default port, path, statuses that mean healthy)
CHECKS = {
    "api": ("DIA3_API_PORT", 8003, "/healthz", (200,)),
    "worker": ("DIA3_WORKER_METRICS_PORT", 9808, "/metrics", (200,)),
    "beat": ("DIA3_BEAT_METRICS_PORT", 9810, "/metrics", (200,)),
    "flower": ("DIA3_FLOWER_PORT", 5555, "/healthcheck", (200,)),
    "ui": ("DIA3_UI_PORT", 8501, "/_stcore/health", (200,)),
    "landing": ("DIA3_LANDING_PORT", 8502, "/healthz", (200,)),
    "mcp": ("DIA3_MCP_PORT", 8000, "/mcp", (401,)),  # alive and asking for a key
    "chroma": ("DIA3_CHROMA_PORT", 8010, "/api/v2/heartbeat", (200,)),  # needs no token
    # answers (without a token) once its model is loaded
    "llm-server": ("DIA3_LLM_SERVER_PORT", 8020, "/props", (200,)),
}


BACKUP = "backup"
#: how late a scheduled backup may be (a large store takes a while) before it is unhealthy
BACKUP_SLACK_SECONDS = 3600


def role_of(argv: list[str]) -> str | None:
    """The DIA3 command in a process's argv, e.g. ['/opt/dia3/bin/dia3', 'worker', '-Q', 'x']."""
    for arg in argv:
        if arg in CHECKS or arg == BACKUP:
            return arg
    return None


def backup_fresh(argv: list[str], now: float | None = None) -> bool:
    """Whether the folder of ``dia3 backup … --every SECONDS DIR`` (DIR last) holds a backup
    younger than SECONDS plus the slack."""
    try:
        every = float(argv[argv.index("--every") + 1])
    except (ValueError, IndexError):
        return False
    times = [os.path.getmtime(p) for p in glob.glob(os.path.join(argv[-1], "dia3-*.tar.gz"))]
    return bool(times) and (time.time() if now is None else now) - max(times) \
        < every + BACKUP_SLACK_SECONDS


# Components served under a path prefix behind the reverse proxy keep their endpoints there.
PREFIX_VARIABLES = {"flower": "FLOWER_URL_PREFIX", "ui": "STREAMLIT_SERVER_BASE_URL_PATH"}


# Components that serve HTTPS when this variable names a certificate.
TLS_VARIABLES = {"api": "DIA3_API_TLS_CERT_FILE"}


def url_for(role: str, env: dict[str, str]) -> tuple[str, tuple[int, ...]]:
    variable, default, path, healthy = CHECKS[role]
    port = env.get(variable) or str(default)
    prefix = env.get(PREFIX_VARIABLES.get(role, ""), "").strip("/")
    if prefix:
        path = f"/{prefix}{path}"
    scheme = "https" if env.get(TLS_VARIABLES.get(role, "")) else "http"
    return f"{scheme}://127.0.0.1:{port}{path}", healthy


def loopback_context() -> ssl.SSLContext:
    """TLS to this container's own server on loopback: its certificate names the service
    (e.g. ``api``), not 127.0.0.1, and nothing else is on this path, so it is not verified."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def probe(url: str, healthy: tuple[int, ...], timeout: float = 4.0) -> bool:
    context = loopback_context() if url.startswith("https://") else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310
            return response.status in healthy
    except urllib.error.HTTPError as exc:
        return exc.code in healthy
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        with open("/proc/1/cmdline", "rb") as fh:
            argv = [part.decode() for part in fh.read().split(b"\0") if part]
    role = role_of(argv)
    if role is None:
        print(f"unknown DIA3 role in {argv!r}", file=sys.stderr)
        return 1
    if role == BACKUP:
        if backup_fresh(argv):
            return 0
        print("backup: no backup within its interval", file=sys.stderr)
        return 1
    url, healthy = url_for(role, dict(os.environ))
    if probe(url, healthy):
        return 0
    print(f"{role}: {url} is not healthy", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))

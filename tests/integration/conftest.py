"""Fixtures of the integration tests: the real ``dia3`` command against a real API server
and the session's worker, as the CLI tests run it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import ROOT, free_port, wait_for

Dia3 = Callable[..., subprocess.CompletedProcess]


@pytest.fixture(scope="session")
def api_url(dia3_env, worker, tmp_path_factory):
    """``dia3 api`` (gunicorn, one process) on a free port."""
    port = free_port()
    log = tmp_path_factory.mktemp("cli-api") / "api.log"
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "api", "--port", str(port)],
                            env={**os.environ, "DIA3_API_WORKERS": "1"}, cwd=ROOT,
                            stdout=open(log, "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(log.read_text()[-3000:])
        try:
            return requests.get(f"{url}/healthz", timeout=1).ok
        except requests.RequestException:
            return False
    wait_for(healthy, timeout=60, interval=0.1, what="the API to answer")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def cli_as(api_url: str, key: str, columns: int = 200) -> Dia3:
    """``run(*args, columns=…)``: ``dia3 *args`` with ``key`` against the API at ``api_url``."""
    def run(*args: str, columns: int = columns) -> subprocess.CompletedProcess:
        env = {**os.environ, "DIA3_API_URL": api_url, "DIA3_API_KEY": key,
               "COLUMNS": str(columns)}
        return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=180)
    return run


@pytest.fixture
def tenant_key() -> str:
    """An analyst key of a fresh tenant."""
    from app.extensions import key_store
    return key_store().create("analyst", f"t{uuid.uuid4().hex[:10]}")[0]


@pytest.fixture
def dia3(api_url, tenant_key) -> Dia3:
    """Run ``dia3`` as an analyst of a fresh tenant against the API server."""
    return cli_as(api_url, tenant_key)


@pytest.fixture
def served_app(flask_app):
    """The API app served over real HTTP from this process (so a test can change its
    settings with settings_env)."""
    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()

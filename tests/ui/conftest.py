"""A real REST API process (gunicorn, on the session's Redis, with the session's worker) for
the dashboard and landing-page tests, and the dashboard's settings pointing at it."""

from __future__ import annotations

import os
import sys
import uuid

import pytest

from tests.ui.processes import serving


@pytest.fixture(autouse=True)
def keep_main_module():
    """Streamlit's AppTest runs pages as ``__main__`` and leaves them there; a later test that
    spawns processes would then re-run that page in the child. Put the real one back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def api_url(dia3_env, worker, tmp_path_factory):
    with serving("api", {"DIA3_API_WORKERS": "1", "DIA3_API_THREADS": "8"},
                 tmp_path_factory.mktemp("api"), "/readyz") as url:
        yield url


@pytest.fixture(scope="module")
def dashboard_settings(api_url):
    """This process's settings (read by AppTest runs) point at the API under test."""
    from app.settings import reload_settings
    saved = {k: os.environ.get(k) for k in ("DIA3_API_URL", "DIA3_UI_REFRESH_SECONDS")}
    os.environ.update({"DIA3_API_URL": api_url, "DIA3_UI_REFRESH_SECONDS": "1"})
    yield reload_settings()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reload_settings()


@pytest.fixture
def new_key(dia3_env):
    """``new_key(role)`` → a fresh API key of that role in a fresh tenant."""
    from app.extensions import key_store

    def make(role: str = "analyst") -> str:
        return key_store().create(role, f"ui{uuid.uuid4().hex[:10]}")[0]
    return make

"""A real REST API process (gunicorn, on the session's Redis, with the session's worker) for
the dashboard and landing-page tests, and the dashboard's settings pointing at it."""

from __future__ import annotations

import os
import re
import sys
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS
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


@pytest.fixture(scope="module")
def dashboard_url(api_url, tmp_path_factory):
    with serving("ui", {"DIA3_API_URL": api_url, "DIA3_UI_REFRESH_SECONDS": "1"},
                 tmp_path_factory.mktemp("ui"), "/_stcore/health") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page; every request it makes is logged in ``page.outside`` when it is for
    another host than the dashboard's, and refused, so nothing leaves the machine."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []

    def only_local(route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    context.route(re.compile(r"^(?!data:|blob:)"), only_local)
    page = context.new_page()
    page.outside = outside
    page.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)
    yield page
    context.close()

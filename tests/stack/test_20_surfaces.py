"""The landing page, Flower and the dashboard on the container stack, through nginx: every
component shown up, Flower behind its basic auth seeing the worker containers, and the
dashboard in Chromium signing in and running a job."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, settled, sign_in
from tests.ui.test_dashboard_browser import TEXTS

pytestmark = pytest.mark.stack

COMPONENTS = {"REST API", "Redis", "Workers", "Dashboard", "Flower", "MCP server"}
WORKER_GROUPS = ("agents", "analytics", "ingest")


def get(stack, path: str, **kwargs) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    return session.get(stack.url + path, verify=stack.ca, timeout=15, **kwargs)


def test_landing_page_shows_every_component_up(stack):
    status = get(stack, "/status.json").json()
    assert {c["name"] for c in status["components"]} == COMPONENTS
    assert [c["name"] for c in status["components"] if not c["up"]] == []
    workers = next(c for c in status["components"] if c["name"] == "Workers")
    assert all(f"{group}@" in workers["detail"] for group in WORKER_GROUPS)
    page = get(stack, "/")
    assert page.status_code == 200 and page.text.count('class="up"') == len(COMPONENTS)
    # every link is a public URL behind nginx, none an address inside the stack
    links = [c["url"] for c in status["components"] if c["url"]] + list(status["links"].values())
    assert links and all(f"{link}/".startswith(stack.url + "/") for link in links), links
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")


def test_flower_requires_its_login_and_sees_every_worker(stack):
    assert get(stack, "/flower/").status_code == 401
    assert get(stack, "/flower/", auth=("admin", "wrong")).status_code == 401
    auth = ("admin", stack.flower_password)
    assert get(stack, "/flower/", auth=auth).status_code == 200
    workers = get(stack, "/flower/api/workers", auth=auth, params={"refresh": "1"}).json()
    assert {name.split("@")[0] for name in workers} >= set(WORKER_GROUPS)


def test_dashboard_runs_a_job_in_chromium(stack):
    assert get(stack, "/dashboard/_stcore/health").text == "ok"
    key = stack.new_key("analyst")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        # The stack's certificate is self-signed; TLS itself is checked with it elsewhere.
        context = browser.new_context(ignore_https_errors=True,
                                      viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        sign_in(page, stack.url + "/dashboard/", key)
        expect(page.get_by_role("heading", name="Submit a job")).to_be_visible()
        settled(page)
        page.get_by_role("combobox", name="Workflow").click()
        page.get_by_role("option", name="sentiment").click()
        settled(page)
        page.get_by_role("textbox", name=TEXTS, exact=True).fill("I love it\nAwful service")
        settled(page)
        try:
            page.get_by_role("button", name="Submit job").click()
            # Streamlit changes the URL in the page (no load event): poll the URL itself.
            expect(page).to_have_url(re.compile(r".*/dashboard/job\?job=\w+"))
            expect(page.get_by_text("succeeded", exact=True)).to_be_visible()
        finally:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "stack-dashboard.png"), full_page=True)
            browser.close()

"""The dashboard in a real browser (Debian's Chromium, headless, driven by Playwright): sign
in, submit a sentiment job from the generated form, watch it reach ``succeeded`` and see its
charts. Screenshots of each stage go to artifacts/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import ROOT
from tests.ui.processes import serving

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SHOTS = ROOT / "artifacts" / "screenshots"
TEXTS = "texts (required, one per line)"


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
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)
    yield page
    context.close()


def settled(page: Page) -> None:
    """Wait until the app is connected and its script run has finished: input given while
    Streamlit is still on its first run can be dropped by the rerun that follows."""
    expect(page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
                        '[data-test-script-state="notRunning"]')).to_have_count(1)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"dashboard-{name}.png"), full_page=True)


def sign_in(page: Page, url: str, key: str) -> None:
    page.goto(url)
    settled(page)
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_submit_sentiment_watch_it_succeed_and_see_the_chart(page, dashboard_url,
                                                                      new_key):
    sign_in(page, dashboard_url, new_key("analyst"))
    expect(page.get_by_role("heading", name="Submit a job")).to_be_visible()
    settled(page)
    shot(page, "1-signed-in")

    page.get_by_role("combobox", name="Workflow").click()
    page.get_by_role("option", name="sentiment").click()
    settled(page)
    texts = page.get_by_role("textbox", name=TEXTS, exact=True)
    texts.fill("I love this product, it is wonderful\nTerrible support, never again\n"
               "The parcel arrived on Tuesday")
    shot(page, "2-form")
    page.get_by_role("button", name="Submit job").click()

    page.wait_for_url("**/job?job=*")
    job_id = page.url.rsplit("job=", 1)[1]
    expect(page.get_by_text(f"sentiment · {job_id}")).to_be_visible()
    shot(page, "3-job")
    expect(page.get_by_text("succeeded", exact=True)).to_be_visible(timeout=60_000)
    expect(page.get_by_text("2/2 steps")).to_be_visible()

    chart = page.get_by_test_id("stVegaLiteChart").first
    expect(chart.locator("svg, canvas").first).to_be_visible()
    expect(page.get_by_text("Texts per label")).to_be_visible()
    expect(page.get_by_role("button", name="Download JSON")).to_be_visible()
    chart.scroll_into_view_if_needed()
    shot(page, "4-result")


def test_a_wrong_key_is_refused_in_the_browser(page, dashboard_url):
    sign_in(page, dashboard_url, "dia3_not_a_key")
    expect(page.get_by_text("The API refused this key (unknown or revoked).")).to_be_visible()
    expect(page.get_by_role("heading", name="Submit a job")).to_have_count(0)
    shot(page, "wrong-key")

"""Driving the dashboard in a real browser (Debian's Chromium, headless, via Playwright):
the browser and page fixtures' settings, waiting for a script run to end, signing in and
screenshots. The fixtures themselves are in ``conftest.py``."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SHOTS = ROOT / "artifacts" / "screenshots"


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


_ROWS = """table => {
  const cells = tr => [...tr.querySelectorAll('th, td')].map(c => c.innerText.trim());
  const [head, ...rows] = [...table.querySelectorAll('tr')].map(cells);
  return rows.map(row => Object.fromEntries(head.map((name, i) => [name, row[i]])));
}"""


def table_rows(page: Page, test_id: str, index: int = 0) -> list[dict[str, str]]:
    """The rows of the ``index``-th ``stTable`` (``st.table``) or ``stDataFrame`` (the
    grid's accessible table) on the page, as {column: shown text}."""
    table = page.get_by_test_id(test_id).nth(index).locator("table").first
    expect(table).to_be_attached()
    return table.evaluate(_ROWS)

"""The dashboard in a real browser (Debian's Chromium, headless, driven by Playwright): sign
in, submit a sentiment job from the generated form, watch it reach ``succeeded`` and see its
charts; open a strategic report built from hostile documents and see nothing in it run or
load. Screenshots of each stage go to artifacts/screenshots/."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from app.client import DIA3Client
from tests.conftest import wait_for
from tests.markup_probe import HOSTILE
from tests.ui.browser import settled, shot, sign_in

pytestmark = pytest.mark.integration

TEXTS = "texts (required, one per line)"


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


# Each would set window.__x if it ran; the images would load from an outside host.
RUNS = ['<iframe srcdoc="<script>parent.window.__x=1</script>"></iframe>',
        '<img src="http://evil.invalid/raw.png" onerror="window.__x=2">',
        '<svg onload="window.__x=3"></svg>', "<script>window.__x=4</script>",
        "![pixel](http://evil.invalid/md.png)", "[click](javascript:window.__x=5)",
        "[your bank](http://evil.invalid/phish)"]
# Links whose text is not where they go: only DIA3's in-page ones (citations, headings).
DISGUISED_LINKS = """[...document.querySelectorAll('[data-testid="stMain"] a[href]')]
    .map(a => [a.getAttribute('href'), a.textContent])
    .filter(([href, text]) => !href.startsWith('#') && href !== text)"""


@pytest.fixture
def hostile_report(api_url, new_key) -> tuple[str, str, str]:
    """(key, collection, job id): a strategic report over documents whose titles and text
    are hostile, asked by a hostile question, built by the session's worker."""
    key = new_key("analyst")
    client = DIA3Client(api_url, key)
    name = "hostile-" + uuid.uuid4().hex[:6]
    client.create_collection(name)
    documents = [{"text": f"Acme revenue grew in Europe. {run} Acme plans to expand.\n\n"
                          f"{HOSTILE}", "title": f"report {n} {run}", "media_type": "text/plain"}
                 for n, run in enumerate(RUNS)]
    ingest = client.request("POST", f"/api/v1/collections/{name}/documents",
                            json={"documents": documents})
    assert client.wait(ingest["id"], timeout=120)["state"] == "succeeded"
    job = client.submit("strategic_analysis", {
        "question": f"Should Acme expand? {' '.join(RUNS)}", "collection": name,
        "backend": "local", "k": 6})
    done = client.wait(job["id"], timeout=180)
    assert done["state"] == "succeeded", done["error"]
    return key, name, job["id"]


def open_job(page: Page, url: str, key: str, job_id: str) -> None:
    sign_in(page, url, key)
    expect(page.get_by_role("heading", name="Submit a job")).to_be_visible()
    settled(page)
    page.get_by_role("link", name="Job", exact=True).click()
    settled(page)
    page.get_by_role("textbox", name="Job id").fill(job_id)
    page.get_by_role("textbox", name="Job id").press("Enter")


def assert_nothing_ran(page: Page) -> None:
    """No hostile element exists, no handler ran, no request left for another host, and no
    link disguises where it goes (a bare address in a text stays a link to itself)."""
    settled(page)
    page.wait_for_load_state("networkidle")
    content = page.locator('[data-testid="stMain"]')
    for selector in ("iframe", "img", "script", "object", "embed", "[onerror]", "[onload]",
                     'a[href^="javascript:"]'):
        expect(content.locator(selector)).to_have_count(0)
    assert page.evaluate("window.__x") is None
    assert page.evaluate(DISGUISED_LINKS) == []
    assert page.outside == [], page.outside


def test_a_report_from_hostile_documents_shows_their_html_as_text_and_runs_nothing(
        page, dashboard_url, hostile_report):
    key, collection, job_id = hostile_report
    open_job(page, dashboard_url, key, job_id)
    expect(page.get_by_role("heading", name=re.compile("^Strategic analysis: Should Acme"))) \
        .to_be_visible(timeout=60_000)
    expect(page.locator("#evidence-1")).to_have_count(1)  # DIA3's own anchors still work
    expect(page.get_by_role("link", name="[1]").first).to_have_attribute("href", "#evidence-1")
    assert_nothing_ran(page)
    heading = page.get_by_role("heading", name=re.compile("^Strategic analysis"))
    assert all(run in heading.inner_text() for run in RUNS), heading.inner_text()
    for run in RUNS:  # each shows as the text it was in the evidence
        expect(page.get_by_text(run, exact=False).first).to_be_visible()
    heading.scroll_into_view_if_needed()
    shot(page, "hostile-report")

    page.get_by_role("link", name="Knowledge base").click()
    settled(page)
    page.get_by_role("textbox", name="Query").fill("Acme expand")
    page.get_by_test_id("stForm").get_by_role("button", name="Search").click()
    hit_titles = page.get_by_test_id("stMarkdownContainer").filter(
        has_text=re.compile(r"^[0-9.]+ · report \d <|^[0-9.]+ · report \d [!\[]"))
    expect(hit_titles.first).to_be_visible()
    assert_nothing_ran(page)
    hit_titles.first.scroll_into_view_if_needed()
    shot(page, "hostile-search")


def job_of(api_url: str, key: str) -> str:
    client = DIA3Client(api_url, key)
    job = client.submit("smoke", {"start": 1})
    assert client.wait(job["id"], timeout=60)["state"] == "succeeded"
    return job["id"]


def test_a_link_to_a_job_opens_it_after_sign_in_and_reloads_stay_signed_in(
        page, dashboard_url, api_url, new_key):
    analyst = new_key("analyst")
    job_id = job_of(api_url, analyst)
    sign_in(page, f"{dashboard_url}/job?job={job_id}", analyst)
    expect(page.get_by_text(f"smoke · {job_id}")).to_be_visible()
    settled(page)
    assert analyst not in page.url
    def session_cookies() -> list[dict]:  # the page's script writes it once drawn
        return [c for c in page.context.cookies() if c["name"] == "dia3_session"]
    [cookie] = wait_for(session_cookies, timeout=30, what="the session cookie to be written")
    assert analyst not in cookie["value"] and cookie["sameSite"] == "Strict"

    page.reload()
    expect(page.get_by_text(f"smoke · {job_id}")).to_be_visible()
    expect(page.get_by_label("API key")).to_have_count(0)
    other = page.context.new_page()  # a link opened in another tab of the same browser
    other.goto(f"{dashboard_url}/jobs")
    expect(other.get_by_role("heading", name="Jobs")).to_be_visible()
    expect(other.get_by_label("API key")).to_have_count(0)
    other.close()

    settled(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    settled(page)
    page.reload()
    expect(page.get_by_label("API key")).to_be_visible()  # signed out stays signed out
    assert [c for c in page.context.cookies() if c["name"] == "dia3_session"] == []
    assert page.outside == [], page.outside


def test_a_forged_or_foreign_session_cookie_signs_nobody_in(page, dashboard_url):
    from cryptography.fernet import Fernet
    foreign = Fernet(Fernet.generate_key()).encrypt(b'{"key": "dia3_x_y"}').decode()
    for value in ("dia3_not_a_token", foreign):
        page.context.add_cookies([{"name": "dia3_session", "value": value,
                                   "url": dashboard_url}])
        page.goto(dashboard_url)
        settled(page)
        expect(page.get_by_label("API key")).to_be_visible()
        expect(page.get_by_role("heading", name="Submit a job")).to_have_count(0)


def test_the_pages_load_nothing_from_another_host(page, dashboard_url, new_key):
    """Fonts, icons and scripts all come from the dashboard: every request of the sign-in
    page and of each page after it stays on 127.0.0.1."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(dashboard_url)
    settled(page)
    page.wait_for_load_state("networkidle")
    icon = page.evaluate("document.querySelector('link[rel~=\"icon\"]').href")
    assert urlsplit(icon).hostname == "127.0.0.1", icon  # DIA3's own icon, not a font's
    served = page.request.get(icon)
    assert served.ok and served.headers["content-type"] == "image/png"
    page.get_by_label("API key").fill(new_key("admin"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Submit a job")).to_be_visible()
    for name in ("Jobs", "Job", "Knowledge base", "Audit log"):
        settled(page)
        page.get_by_role("link", name=name, exact=True).click()
        settled(page)
        page.wait_for_load_state("networkidle")
    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, sorted(set(requests))
    assert page.outside == [], page.outside

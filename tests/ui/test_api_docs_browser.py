"""The API's interactive docs in Chromium: Swagger UI draws the operations of DIA3's OpenAPI
document from files the API serves itself, so the page works with no CDN reachable."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import expect


def test_swagger_ui_renders_the_operations_from_the_apis_own_files(page, api_url):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(api_url + "/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("DIA3")
    expect(page.locator("#operations-jobs-createJob, .opblock-summary-path").first) \
        .to_be_visible()
    assert page.locator(".opblock").count() > 10  # every operation drawn, not an empty shell
    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:"))}
    assert hosts == {urlsplit(api_url).hostname}, sorted(set(requests))
    assert page.outside == [], page.outside

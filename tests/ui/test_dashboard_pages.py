"""The dashboard's pages driven by Streamlit's AppTest against a real API, Redis and worker:
sign-in, a form generated from a workflow's schema, submit, the job page and its result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from streamlit.testing.v1 import AppTest

from app.client import DIA3Client
from app.extensions import key_store
from tests.conftest import wait_for
from tests.markup_probe import assert_inert, flat, render

APP = Path(__file__).resolve().parents[2] / "ui" / "dashboard" / "streamlit_app.py"

pytestmark = pytest.mark.integration


def signed_in(key: str, page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state["dia3_api_key"] = key
    at.query_params.update(query)
    at.run()
    return at.switch_page(page).run() if page else at


def charts(at: AppTest) -> list:
    return at.get("vega_lite_chart")


def state_badge(at: AppTest) -> str:
    """The job state shown in the page's badge (``:green-badge[succeeded]``)."""
    [badge] = [m.value for m in at.markdown if "-badge[" in m.value]
    return badge.split("[", 1)[1].rstrip("]")


def test_sign_in_refuses_an_unknown_key_and_accepts_a_good_one(dashboard_settings, new_key):
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert [t.value for t in at.title] == ["DIA3"]
    at.text_input(key="sign-in:key").input("dia3_nope_nope")
    at.button(key="FormSubmitter:sign-in-Sign in").click().run()
    assert "refused" in at.error[0].value
    assert "dia3_api_key" not in at.session_state

    key = new_key("viewer")
    at.text_input(key="sign-in:key").input(key)
    at.button(key="FormSubmitter:sign-in-Sign in").click().run()
    assert not at.exception
    assert at.session_state["dia3_api_key"] == key
    assert [t.value for t in at.title] == ["Submit a job"]


def test_submit_form_comes_from_the_schema_and_starts_a_job(dashboard_settings, new_key):
    key = new_key("analyst")
    at = signed_in(key)
    workflows = {w["name"] for w in DIA3Client(dashboard_settings.client_api_url, key)
                 .workflows()}
    assert set(at.selectbox(key="submit:workflow").options) == workflows

    at.selectbox(key="submit:workflow").select("smoke").run()
    start = at.number_input(key="submit:smoke:start")
    assert (start.value, start.min, start.max) == (0, -1_000_000, 1_000_000)

    at.selectbox(key="submit:workflow").select("sentiment").run()
    assert at.selectbox(key="submit:sentiment:bucket").options == [
        "auto", "minute", "hour", "day", "week", "month"]
    texts = at.text_area(key="submit:sentiment:texts")
    assert texts.label == "texts (required, one per line)"
    texts.input("What a lovely day\nThis is dreadful")
    at.button(key="FormSubmitter:submit:sentiment-Submit job").click().run()
    assert not at.exception and not at.error

    client = DIA3Client(dashboard_settings.client_api_url, key)
    [job] = client.jobs()["items"]
    assert job["workflow"] == "sentiment" and at.session_state["last_job"] == job["id"]
    assert client.job(job["id"])["params"]["texts"] == ["What a lovely day", "This is dreadful"]


def test_monte_carlo_form_follows_the_chosen_model_and_offers_an_example(dashboard_settings,
                                                                        new_key):
    import json
    key = new_key("analyst")
    client = DIA3Client(dashboard_settings.client_api_url, key)
    [workflow] = [w for w in client.workflows() if w["name"] == "monte_carlo"]
    at = signed_in(key)
    at.selectbox(key="submit:workflow").select("monte_carlo").run()
    assert at.text_area(key="submit-json:monte_carlo:params").value == json.dumps(
        workflow["examples"][0]["params"], indent=2)
    assert at.selectbox(key="submit:monte_carlo:model").options == ["gbm", "bootstrap",
                                                                    "scenario"]
    at.selectbox(key="submit:monte_carlo:model").select("bootstrap").run()
    at.number_input(key="submit:monte_carlo:bootstrap:n_simulations").set_value(500)
    at.text_area(key="submit:monte_carlo:bootstrap:params.history").input("100, 102, 101, 104")
    at.button(key="FormSubmitter:submit:monte_carlo:bootstrap-Submit job").click().run()
    assert not at.exception and not at.error
    [job] = client.jobs()["items"]
    params = client.job(job["id"])["params"]
    assert (params["model"], params["n_simulations"]) == ("bootstrap", 500)
    assert params["params"]["s0"] == 104  # the engine's default: the last history level


def test_invalid_params_show_the_field_errors(dashboard_settings, new_key):
    at = signed_in(new_key("analyst"))
    at.selectbox(key="submit:workflow").select("sentiment").run()
    at.text_area(key="submit:sentiment:texts").input("x" * 20_001)
    at.button(key="FormSubmitter:submit:sentiment-Submit job").click().run()
    messages = [e.value for e in at.error]
    assert messages[0].startswith("Not submitted")
    assert any(m.startswith("texts.0: Longer than maximum length") for m in messages)


def test_errors_that_echo_what_was_sent_show_it_as_text(dashboard_settings, new_key):
    """A parameter name or a job id is echoed in the API's answer: it must not turn into an
    image that loads, or a link, on the page."""
    pixel = "![p](http://evil.invalid/p.png) <img src=x onerror=alert(1)>"
    at = signed_in(new_key("analyst"))
    at.selectbox(key="submit:workflow").select("sentiment").run()
    at.text_area(key="submit-json:sentiment:params").input(
        json.dumps({"texts": ["fine"], pixel: 1}))
    at.button(key="FormSubmitter:submit-json:sentiment-Submit JSON").click().run()
    messages = [e.value for e in at.error]
    assert messages[0].startswith("Not submitted")
    assert any(flat(render(m).text).startswith(flat(pixel) + ": Unknown field")
               for m in messages), messages
    for message in messages:
        assert_inert(message)


def test_a_job_link_reaches_only_that_job(dashboard_settings, new_key):
    """The job id comes from the page's address, which anyone can send in a link: it stays one
    path segment, so ``../keys`` asks for a job of that name, not for the key list."""
    at = signed_in(new_key("admin"), "views/job.py", job="../keys")
    assert not at.exception
    assert [e.value.split(":")[0] for e in at.error] == ["404"]


def test_job_page_shows_steps_then_the_sentiment_charts_and_downloads(dashboard_settings,
                                                                       new_key):
    key = new_key("analyst")
    client = DIA3Client(dashboard_settings.client_api_url, key)
    job = client.submit("sentiment", {"texts": ["great", "awful", "fine"],
                                      "timestamps": ["2024-01-01T00:00:00", "2024-01-02T00:00:00",
                                                     "2024-01-02T10:00:00"], "bucket": "day"})
    wait_for(lambda: client.job(job["id"])["state"] == "succeeded", timeout=60,
             what="the job to succeed")
    at = signed_in(key, "views/job.py", job=job["id"])
    assert not at.exception
    assert state_badge(at) == "succeeded"
    steps = at.dataframe[0].value
    assert set(steps["step"]) == {"batch-00000", "aggregate"}
    assert set(steps["state"]) == {"done"}
    titles = {c.proto.spec for c in charts(at)}
    assert len(charts(at)) == 3  # labels, score distribution, daily trend
    assert any("Mean sentiment per day" in spec for spec in titles)
    downloads = at.get("download_button")
    assert [d.proto.label for d in downloads] == ["Download JSON", "Download Markdown"]


def test_cancel_button_cancels_a_queued_job_and_retry_runs_it_again(dashboard_settings,
                                                                    new_key):
    key = new_key("analyst")
    client = DIA3Client(dashboard_settings.client_api_url, key)
    # A Monte Carlo job big enough to still be active when the page opens.
    job = client.submit("monte_carlo", {"model": "gbm", "n_simulations": 8_000_000, "shards": 64,
                                        "params": {"s0": 100, "drift": 0.05, "volatility": 0.2,
                                                   "horizon": 1, "steps": 250}})
    at = signed_in(key, "views/job.py", job=job["id"])
    assert state_badge(at) in ("queued", "running")
    at.button(key=f"cancel:{job['id']}").click().run()
    assert client.job(job["id"])["state"] == "cancelled"
    assert state_badge(at) == "cancelled"
    at.button(key=f"retry:{job['id']}").click().run()
    again = client.job(job["id"])
    assert again["attempts"] == 2 and again["state"] in ("queued", "running")
    client.cancel(job["id"])  # leave the shared worker free


def test_jobs_page_filters_by_state_and_workflow(dashboard_settings, new_key):
    key = new_key("analyst")
    client = DIA3Client(dashboard_settings.client_api_url, key)
    done = client.submit("smoke", {"start": 1})
    wait_for(lambda: client.job(done["id"])["state"] == "succeeded", timeout=60,
             what="the smoke job")
    at = signed_in(key, "views/jobs.py")
    assert list(at.dataframe[0].value["id"]) == [done["id"]]
    at.selectbox(key="jobs:state").select("failed").run()
    assert "No jobs match." in [i.value for i in at.info]
    at.selectbox(key="jobs:state").select("succeeded")
    at.selectbox(key="jobs:workflow").select("smoke").run()
    assert list(at.dataframe[0].value["workflow"]) == ["smoke"]


def test_schedules_page_creates_lists_pauses_and_runs_a_schedule(dashboard_settings, new_key):
    key = new_key("analyst")
    client = DIA3Client(dashboard_settings.client_api_url, key)
    at = signed_in(key, "views/schedules.py")
    assert not at.exception and "No schedules yet." in [i.value for i in at.info]
    at.selectbox(key="schedules:new:workflow").select("smoke")
    at.text_area(key="schedules:new:params").input('{"start": "x"}')
    at.button(key="FormSubmitter:schedules:new-Create schedule").click().run()
    assert any("start" in e.value for e in at.error)  # the API's field errors, shown
    at.text_area(key="schedules:new:params").input('{"start": 2}')
    at.text_input(key="schedules:new:name").input("**nightly**")
    at.button(key="FormSubmitter:schedules:new-Create schedule").click().run()
    assert not at.exception and not at.error
    [schedule] = client.schedules()["items"]
    assert (schedule["params"], schedule["interval_seconds"]) == ({"start": 2}, 3600)
    table = at.dataframe[0].value
    assert list(table["id"]) == [schedule["id"]] and list(table["state"]) == ["active"]
    assert list(table["name"]) == ["**nightly**"]  # a cell, not Markdown

    at.button(key="schedules:toggle").click().run()
    assert client.schedule(schedule["id"])["enabled"] is False
    assert list(at.dataframe[0].value["state"]) == ["paused"]
    at.button(key="schedules:run").click().run()
    [job] = client.jobs(schedule_id=schedule["id"])["items"]
    assert at.session_state["last_job"] == job["id"]
    at.run()
    assert list(at.dataframe[1].value["id"]) == [job["id"]]  # the jobs it made
    at.button(key="schedules:delete").click().run()
    assert client.schedules()["items"] == []


def test_knowledge_page_mirrors_what_the_server_offers(dashboard_settings, new_key):
    """A server without the knowledge-base API gets a clear note instead of an error; one with
    it shows the tenant's (here: no) collections."""
    key = new_key("viewer")
    answer = requests.get(dashboard_settings.client_api_url + "/api/v1/collections",
                          headers={"X-API-Key": key}, timeout=10)
    at = signed_in(key, "views/knowledge.py")
    assert not at.exception and not at.error
    if answer.status_code == 404:
        assert "not available on this server" in at.info[0].value
    else:
        assert answer.status_code == 200 and answer.json()["items"] == []
        assert at.info[0].value == "No collections yet."


def test_audit_page_shows_admins_the_log_and_refuses_others(dashboard_settings, new_key):
    analyst_key = new_key("analyst")
    analyst = DIA3Client(dashboard_settings.client_api_url, analyst_key)
    job = analyst.submit("smoke", {"start": 1})
    actor = key_store().lookup(analyst_key).key_id

    at = signed_in(new_key("admin"), "views/audit.py")
    assert not at.exception
    at.text_input(key="audit:actor").input(actor).run()
    table = at.dataframe[0].value
    assert set(table["actor"]) == {actor}
    assert f"job:{job['id']}" in set(table["target"]) and "job.submit" in set(table["action"])
    at.selectbox(key="audit:outcome").select("denied").run()
    assert "No audit entries match." in [i.value for i in at.info]

    refused = signed_in(analyst_key, "views/audit.py")
    assert any("admin" in e.value for e in refused.error)


def test_the_job_page_reads_an_active_job_again_only_when_its_events_say_so(
        dashboard_settings, new_key):
    from ui.dashboard import live
    client = DIA3Client(dashboard_settings.client_api_url, new_key("analyst"))
    job = client.submit("smoke", {"start": 1, "stall_seconds": 1})
    state: dict = {}
    watch = live.watch(state, client, job["id"])
    watch.read(client.job(job["id"]))
    wait_for(lambda: watch.follower.changes > watch.seen, timeout=60, what="an event")
    assert watch.stale(refresh_seconds=3600)  # an event came: read again
    watch.read(client.job(job["id"]))
    wait_for(lambda: watch.follower.ended, timeout=60, what="the job's stream to end")
    assert not watch.follower.failed and watch.follower.changes >= 5  # queued … succeeded
    assert watch.stale(refresh_seconds=3600)
    assert client.job(job["id"])["state"] == "succeeded"
    assert live.watch(state, client, job["id"]) is not watch  # an ended stream is replaced

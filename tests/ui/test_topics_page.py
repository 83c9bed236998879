"""The dashboard's Topics page driven by Streamlit's AppTest against a real API, Redis, Chroma
and worker: a collection's topics found, then their sizes, labels and representative
documents."""

from __future__ import annotations

import json

import pytest

from app.client import DIA3Client
from app.extensions import key_store
from tests.conftest import wait_for
from tests.ui.test_dashboard_pages import charts, signed_in

pytestmark = pytest.mark.integration

DOCUMENTS = {"sport-1": "The striker scored twice and the team won the cup match.",
             "sport-2": "The goalkeeper saved a penalty as the team won the league match.",
             "money-1": "The bank raised interest rates as inflation rose again.",
             "money-2": "Bank shares fell as inflation and interest rates rose."}


def test_topics_page_finds_a_collections_topics_and_shows_them(dashboard_settings, new_key):
    from app.workflows.knowledge import service as knowledge
    from workers.knowledge.engine.ingest import ingest_text
    key = new_key("analyst")
    tenant = key_store().lookup(key).tenant
    knowledge.create_collection(tenant, "news")
    for document_id, text in DOCUMENTS.items():
        ingest_text(knowledge.open_collection(tenant, "news"), text, document_id=document_id)

    at = signed_in(key, "views/topics.py")
    assert not at.exception and [t.value for t in at.title] == ["Topics"]
    assert at.selectbox(key="topics:collection").options == ["news"]
    at.checkbox(key="topics:auto").uncheck()
    at.number_input(key="topics:k").set_value(2)
    at.button(key="FormSubmitter:topics:find-Find topics").click().run()
    assert not at.exception and not at.error
    client = DIA3Client(dashboard_settings.client_api_url, key)
    [job] = client.jobs()["items"]
    assert job["workflow"] == "topics"
    assert client.job(job["id"])["params"] == {**client.job(job["id"])["params"],
                                               "collection": "news", "k": 2, "seed": 0}
    wait_for(lambda: client.job(job["id"])["state"] == "succeeded", timeout=120,
             what="the topics job")

    at = signed_in(key, "views/topics.py", job=job["id"])
    assert not at.exception and not at.error
    assert [s.value for s in at.subheader] == ["Topics of news"]
    [chart] = charts(at)
    assert json.loads(chart.proto.spec)["title"] == "Texts per topic"
    labels = [e.label for e in at.expander]
    assert len(labels) == 2 and all(label.endswith("(2)") for label in labels)
    shown = " ".join(m.value for m in at.markdown)
    assert all(document_id in shown for document_id in DOCUMENTS)
    assert "**Keywords:**" in shown


def test_topics_page_without_collections_says_what_to_do(dashboard_settings, new_key):
    at = signed_in(new_key("viewer"), "views/topics.py")
    assert not at.exception and not at.error
    assert "No collections yet" in at.info[0].value


def test_the_sizes_chart_has_a_bar_per_topic_and_one_for_the_outliers():
    from ui.dashboard.charts import topic_sizes
    result = {"topics": [{"id": 0, "label": "bank, rates", "size": 5},
                         {"id": 1, "label": "cup, goal", "size": 3}], "outliers": 2}
    spec = topic_sizes(result).to_dict()
    [rows] = spec["datasets"].values()
    assert [(r["topic"], r["texts"], r["outlier"]) for r in rows] == [
        ("0: bank, rates", 5, False), ("1: cup, goal", 3, False), ("-1: outliers", 2, True)]
    assert spec["encoding"]["y"]["sort"] == ["0: bank, rates", "1: cup, goal", "-1: outliers"]
    assert topic_sizes({"topics": [], "outliers": 0}) is None

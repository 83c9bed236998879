"""The topics of a knowledge-base collection: submit a ``topics`` job for it (all documents
or those a metadata filter selects), follow it, then its topics' sizes, labels and
representative documents."""

import json

import streamlit as st

from app.settings import get_settings
from ui.client import KnowledgeBaseUnavailable
from ui.dashboard import job_view, results, session

client = session.client()
st.title("Topics")
try:
    collections = session.call(client.collections)
except KnowledgeBaseUnavailable:
    st.info("The knowledge base is not available on this server: its API "
            "(`/api/v1/collections`) does not answer here yet.")
    st.stop()
if collections is None:
    st.stop()
if not collections:
    st.info("No collections yet: ingest documents first (Submit → ingest).")
    st.stop()

names = [c.get("name", "?") for c in collections]
with st.form("topics:find"):
    name = st.selectbox("Collection", names, key="topics:collection")
    automatic = st.checkbox("Let the data choose the number of topics (may leave outliers)",
                            value=True, key="topics:auto")
    k = st.number_input("Number of topics", min_value=1, max_value=100, value=5,
                        key="topics:k")
    seed = st.number_input("Seed", min_value=0, max_value=2**32 - 1, value=0,
                           key="topics:seed")
    where = st.text_input("Only documents whose metadata match (JSON filter, optional)",
                          key="topics:where", placeholder='{"lang": "en"}')
    go = st.form_submit_button("Find topics")
if go:
    params = {"collection": name, "k": "auto" if automatic else int(k), "seed": int(seed)}
    try:
        if where.strip():
            params["where"] = json.loads(where)
    except ValueError as exc:
        st.error(f"where: not valid JSON ({exc})")
        st.stop()
    job = session.call(client.submit, "topics", params)
    if job is not None:
        st.query_params["job"] = job["id"]

job_id = st.query_params.get("job")
if not job_id:
    st.stop()


def live() -> None:
    """Re-drawn while the job runs; a full page run shows the topics once it ended."""
    job = session.call(client.job, job_id)
    if job is None:
        return
    if job["state"] not in job_view.ACTIVE:
        st.rerun(scope="app")
    job_view.header(job)


job = session.call(client.job, job_id)
if job is None or job.get("workflow") != "topics":
    st.stop()
if job["state"] in job_view.ACTIVE:
    st.fragment(live, run_every=get_settings().ui_refresh_seconds)()
    st.stop()
if job["state"] != "succeeded":
    job_view.show(client, job)
    st.stop()
body = session.call(client.result, job_id)
if body is not None:
    result = body["result"]
    st.subheader(f"Topics of {result.get('collection', name)}")
    results.topics(result, job)

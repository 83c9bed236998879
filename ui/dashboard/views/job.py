"""One job: live progress while it runs (following its events), then its result."""

import streamlit as st

from app.settings import get_settings
from ui.dashboard import job_view, live, results, session

client = session.client()
st.title("Job")
job_id = st.text_input("Job id", value=st.query_params.get("job")
                       or st.session_state.get("last_job", ""), key="job:id").strip()
if not job_id:
    st.info("Enter a job id, or open one from the Jobs page.")
    st.stop()
st.query_params["job"] = job_id


def follow_job() -> None:
    """Redrawn every moment while the job is active, from the job as last read, which is read
    again when its event stream brings a change; hands over to a full page run (which then
    shows the result) as soon as the job ends."""
    current = st.session_state["job:watch"]
    if current.stale(get_settings().ui_refresh_seconds):
        job = session.call(client.job, job_id)
        if job is None:
            return
        current.read(job)
    job = current.job
    if job["state"] not in job_view.ACTIVE:
        st.rerun(scope="app")
    job_view.show(client, job)
    if job_view.cancel_button(client, job):
        st.rerun(scope="app")


job = session.call(client.job, job_id)
if job is None:
    st.stop()
if job["state"] in job_view.ACTIVE:
    live.watch(st.session_state, client, job_id).read(job)
    st.fragment(follow_job, run_every=live.TICK)()
    st.stop()
job_view.show(client, job)
if job_view.retry_button(client, job):
    st.rerun()
if job["state"] == "succeeded":
    body = session.call(client.result, job_id)
    if body is not None:
        st.subheader("Result")
        results.render(job, body["result"])

"""The tenant's jobs, newest first, with state and workflow filters and auto-refresh."""

import pandas as pd
import streamlit as st

from app.reports import duration, when
from app.settings import get_settings
from ui.dashboard import session

STATES = ["(all)", "queued", "running", "succeeded", "failed", "cancelled"]
PAGE_SIZE = 50

client = session.client()
st.title("Jobs")
workflows = [w["name"] for w in session.call(client.workflows) or []]
cols = st.columns([2, 2, 1])
state = cols[0].selectbox("State", STATES, key="jobs:state")
workflow = cols[1].selectbox("Workflow", ["(all)", *workflows], key="jobs:workflow")
auto = cols[2].toggle("Auto-refresh", value=True, key="jobs:auto")


def listing() -> None:
    page = session.call(client.jobs, state=None if state == "(all)" else state,
                        workflow=None if workflow == "(all)" else workflow, limit=PAGE_SIZE)
    if page is None:
        return
    jobs = page["items"]
    if not jobs:
        st.info("No jobs match.")
        return
    frame = pd.DataFrame([{
        "id": j["id"], "workflow": j["workflow"], "state": j["state"],
        "progress": f"{j['progress']['done']}/{j['progress']['total']}",
        "created": when(j["created_at"]), "seconds": duration(j),
        "error": (j.get("error") or {}).get("type", "")} for j in jobs])
    st.caption(f"{len(jobs)} newest jobs" + (" (more exist)" if page.get("next_cursor") else "")
               + " — select a row to open the job")
    picked = st.dataframe(frame, hide_index=True, on_select="rerun",
                          selection_mode="single-row", key="jobs:table",
                          column_config={"seconds": st.column_config.NumberColumn(
                              format="%.2f")})
    rows = picked.selection.rows if picked else []
    if rows:
        st.switch_page("views/job.py", query_params={"job": jobs[rows[0]]["id"]})


st.fragment(listing, run_every=get_settings().ui_refresh_seconds if auto else None)()

"""The audit log (admin keys): who changed what, when, and with what outcome; filtered by
action, outcome and actor, paged with the API's cursor."""

import pandas as pd
import streamlit as st

from ui.dashboard import session

ACTIONS = ["(all)", "job.submit", "job.cancel", "job.retry", "job.delete", "job.purge",
           "schedule.create", "schedule.update", "schedule.delete", "schedule.run",
           "key.create", "key.rotate", "key.revoke", "collection.create", "collection.delete",
           "document.add", "document.delete", "system.backup", "system.restore"]
OUTCOMES = ["(all)", "ok", "denied", "error"]
PAGE_SIZE = 100

client = session.client()
st.title("Audit log")
cols = st.columns([2, 1, 2])
action = cols[0].selectbox("Action", ACTIONS, key="audit:action")
outcome = cols[1].selectbox("Outcome", OUTCOMES, key="audit:outcome")
actor = cols[2].text_input("Actor (key id)", key="audit:actor").strip()
query = {"action": None if action == "(all)" else action,
         "outcome": None if outcome == "(all)" else outcome, "actor": actor or None}
cursors = st.session_state.setdefault("audit:cursors", {})
cursor = cursors.get(repr(query))
page = session.call(client.request, "GET", "/api/v1/audit",
                    params={k: v for k, v in {**query, "limit": PAGE_SIZE,
                                              "cursor": cursor}.items() if v})
if page is not None:
    entries = page["items"]
    if not entries:
        st.info("No audit entries match.")
    else:
        st.dataframe(pd.DataFrame([{
            "time": e["time"], "actor": e["actor"], "tenant": e["tenant"],
            "action": e["action"], "target": e["target"], "outcome": e["outcome"],
            "status": e.get("status"), "error": e.get("error"),
            "request id": e.get("request_id")} for e in entries]), hide_index=True,
            key="audit:table")
    nav = st.columns(2)
    if cursor and nav[0].button("Newest", key="audit:first"):
        cursors.pop(repr(query), None)
        st.rerun()
    if page.get("next_cursor") and nav[1].button("Older", key="audit:next"):
        cursors[repr(query)] = page["next_cursor"]
        st.rerun()

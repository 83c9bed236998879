"""The tenant's schedules: when each fires next and what its ticks did, pause, resume, run
now or delete one, see the jobs it made, and create a schedule (params as JSON, checked by the
API like a job's)."""

import json

import pandas as pd
import streamlit as st

from app.client import APIError
from app.reports import markup as md
from app.reports import when
from ui.dashboard import session

PAGE_SIZE = 200

client = session.client()
st.title("Schedules")


def timing(schedule: dict) -> str:
    if schedule.get("cron"):
        return f"{schedule['cron']} ({schedule['timezone']})"
    return f"every {schedule['interval_seconds']} s"


page = session.call(client.schedules, limit=PAGE_SIZE)
schedules = page["items"] if page else []
if page is not None and not schedules:
    st.info("No schedules yet.")
if schedules:
    st.dataframe(pd.DataFrame([{
        "id": s["id"], "name": s["name"], "workflow": s["workflow"], "when": timing(s),
        "state": "active" if s["enabled"] else "paused",
        "next run": when(s["next_run_at"]) if s["next_run_at"] else "",
        "last run": when(s["last_run_at"]) if s["last_run_at"] else "", "runs": s["runs"],
        "skipped (overlap)": s["skipped_overlap"], "missed": s["skipped_missed"],
        "refused": s["errors"]} for s in schedules]), hide_index=True, key="schedules:table")
    by_id = {s["id"]: s for s in schedules}
    chosen = st.selectbox("Schedule", list(by_id), key="schedules:chosen",
                          format_func=lambda sid: f"{by_id[sid]['name'] or sid[:8]} "
                                                  f"({by_id[sid]['workflow']})")
    schedule = by_id[chosen]
    if schedule.get("last_error"):
        st.warning("Last refused run: " + md.inline(schedule["last_error"]))
    cols = st.columns(3)
    toggle = "Resume" if not schedule["enabled"] else "Pause"
    if cols[0].button(toggle, key="schedules:toggle"):
        if session.call(client.update_schedule, chosen, enabled=not schedule["enabled"]):
            st.rerun()
    if cols[1].button("Run now", key="schedules:run"):
        job = session.call(client.run_schedule, chosen)
        if job:
            st.session_state["last_job"] = job["id"]
            st.success(f"Submitted job {job['id']}")
    if cols[2].button("Delete", key="schedules:delete"):
        try:
            client.delete_schedule(chosen)
        except APIError as exc:
            session.show_refusal("Not deleted", exc)
        else:
            st.rerun()
    made = session.call(client.jobs, schedule_id=chosen, limit=20)
    if made and made["items"]:
        st.subheader("Its newest jobs")
        st.dataframe(pd.DataFrame([{
            "id": j["id"], "state": j["state"], "tick": when(j["scheduled_for"])
            if j.get("scheduled_for") else "(run now)", "created": when(j["created_at"])}
            for j in made["items"]]), hide_index=True, key="schedules:jobs")

st.subheader("New schedule")
workflows = [w["name"] for w in session.call(client.workflows) or []]
with st.form("schedules:new"):
    workflow = st.selectbox("Workflow", workflows, key="schedules:new:workflow")
    params = st.text_area("Params (JSON object)", value="{}", key="schedules:new:params")
    kind = st.radio("Runs", ["every N seconds", "cron expression"], horizontal=True,
                    key="schedules:new:kind")
    interval = st.number_input("Seconds between runs", min_value=1, value=3600,
                               key="schedules:new:interval")
    cron = st.text_input("Cron expression (5 fields)", value="0 6 * * *",
                         key="schedules:new:cron")
    timezone = st.text_input("Time zone (IANA)", value="UTC", key="schedules:new:timezone")
    name = st.text_input("Name", key="schedules:new:name")
    overlap = st.selectbox("While the previous run is active", ["skip", "allow"],
                           key="schedules:new:overlap")
    catchup = st.selectbox("After the beat was down", ["one", "none"],
                           key="schedules:new:catchup")
    create = st.form_submit_button("Create schedule")
if create:
    try:
        loaded = json.loads(params or "{}")
    except ValueError as exc:
        st.error(f"The params are not JSON: {md.inline(exc)}")
    else:
        timing_fields = ({"interval_seconds": int(interval)} if kind.startswith("every")
                         else {"cron": cron, "timezone": timezone})
        try:
            created = client.create_schedule(workflow, loaded, name=name, overlap=overlap,
                                             catchup=catchup, **timing_fields)
        except APIError as exc:
            session.show_refusal("Not created", exc)
        else:
            st.session_state["schedules:created"] = created["id"]
            st.rerun()

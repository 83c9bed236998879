"""One job on the page: state, step progress and timings, error and reason, cancel and
retry."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from app.reports import duration, epoch, error_markdown, when
from app.reports import markup as md
from app.settings import get_settings
from ui.dashboard import session
from ui.urls import flower_url

ACTIVE = ("queued", "running")
STATE_COLOURS = {"queued": "gray", "running": "blue", "succeeded": "green", "failed": "red",
                 "cancelled": "orange"}


def step_seconds(record: dict, job: dict) -> float | None:
    """How long a step ran: its runtime once done; while it runs (and the job is active)
    until now; a step that ended with its job (failed, stopped) until it ended. None for a
    step that never started, so nothing grows after the job is over."""
    if record.get("runtime") is not None:
        return record["runtime"]
    started = record.get("started_at")
    if not started:
        return None
    end = record.get("finished_at")
    if end is None and job["state"] in ACTIVE and record.get("state") == "running":
        end = time.time()
    if end is None:  # a record from before steps ended with their job
        end = epoch(job.get("finished_at"))
    return round(end - started, 3) if end is not None else None


def steps_frame(job: dict) -> pd.DataFrame:
    """Every planned step (from ``tasks``) with its record once it has started, in the order
    the steps started; steps that have not run yet follow as pending. Seconds are text, so a
    step without a duration shows a dash rather than a missing value."""
    records = job.get("steps") or {}
    flower = flower_url(get_settings())

    def row(step: str, task_id: str) -> dict:
        rec = records.get(step, {})
        started, seconds = rec.get("started_at"), step_seconds(rec, job)
        return {
            "step": step, "state": rec.get("state", "pending"),
            "deliveries": rec.get("starts", 0), "worker": rec.get("worker", ""),
            "started": when(started) if started else "",
            "seconds": "–" if seconds is None else f"{seconds:.3f}",
            "task": f"{flower}/task/{task_id}",
        }
    tasks = sorted((job.get("tasks") or {}).items(), key=lambda item: (
        records.get(item[0], {}).get("started_at") or float("inf"), item[0]))
    return pd.DataFrame([row(step, task_id) for step, task_id in tasks])


def header(job: dict) -> None:
    st.markdown(f"### {md.inline(job['workflow'])} · {md.code(job['id'])}")
    st.badge(job["state"], color=STATE_COLOURS.get(job["state"], "gray"))
    progress = job.get("progress") or {}
    total = progress.get("total") or 0
    label = f"{progress.get('done', 0)}/{total} steps"
    if progress.get("current_step") and job["state"] == "running":
        label += f" · now {progress['current_step']}"
    st.progress(progress.get("fraction") or 0.0, text=label)
    seconds = duration(job)
    if seconds is None and job.get("started_at") and job["state"] in ACTIVE:
        seconds = time.time() - epoch(job["started_at"])
    created, started = epoch(job.get("created_at")), epoch(job.get("started_at"))
    cols = st.columns(3)
    cols[0].metric("waited", "–" if started is None else f"{started - created:.2f} s",
                   help="from submission to the first step starting")
    cols[1].metric("ran for", "–" if seconds is None else f"{seconds:.2f} s")
    cols[2].metric("deliveries", sum(r.get("starts", 0) for r in (job.get("steps") or {})
                                     .values()), help="step runs, including redeliveries")
    st.caption(f"created {when(job.get('created_at'))} · started {when(job.get('started_at'))}"
               f" · finished {when(job.get('finished_at'))}")


def error(job: dict) -> None:
    problem = job.get("error")
    if problem:
        st.error(error_markdown(problem))


def steps(job: dict) -> None:
    frame = steps_frame(job)
    if frame.empty:
        return
    st.caption("Steps (the task link opens the step's Celery task in Flower)")
    st.dataframe(frame, hide_index=True, column_config={
        "task": st.column_config.LinkColumn("task", display_text=r".*/task/(.*)$"),
        "seconds": st.column_config.TextColumn("seconds", help="run time of the step")})


def cancel_button(client, job: dict) -> bool:
    """Offer cancel while the job is active; True once it was cancelled here."""
    if job["state"] not in ACTIVE:
        return False
    if st.button("Cancel job", key=f"cancel:{job['id']}", type="secondary"):
        return session.call(client.cancel, job["id"]) is not None
    return False


def retry_button(client, job: dict) -> bool:
    """Offer a re-run from the unfinished steps for a failed or cancelled job; True once it
    was retried here."""
    if job["state"] not in ("failed", "cancelled"):
        return False
    if st.button("Retry from the failed step", key=f"retry:{job['id']}", type="secondary"):
        return session.call(client.retry, job["id"]) is not None
    return False


def show(client, job: dict) -> None:
    header(job)
    error(job)
    steps(job)

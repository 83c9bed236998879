"""Submit a job: pick a workflow, fill the form generated from its params schema."""

import json

import streamlit as st

from app.client import APIError
from app.reports import markup as md
from ui.dashboard import schema_form, session


def submit(client, workflow: str, params: dict, idempotency_key: str | None) -> None:
    try:
        job = client.submit(workflow, params, idempotency_key or None)
    except APIError as exc:
        session.show_refusal("Not submitted", exc)
        return
    st.session_state["last_job"] = job["id"]
    st.switch_page("views/job.py", query_params={"job": job["id"]})


client = session.client()
st.title("Submit a job")
workflows = session.call(client.workflows) or []
if not workflows:
    st.warning("The API lists no workflows.")
    st.stop()
by_name = {w["name"]: w for w in workflows}
name = st.selectbox("Workflow", list(by_name), key="submit:workflow")
workflow = by_name[name]
st.caption(f"{workflow['description']}  \nqueue `{workflow['queue']}` · {workflow['category']}")
fields, fixed, prefix = schema_form.choose_variant(workflow["params_schema"], f"submit:{name}")

with st.form(prefix):
    raw, uploads = schema_form.render(fields, prefix=prefix)
    idempotency_key = st.text_input("Idempotency key (optional)", key=f"{prefix}:idem",
                                    help="Submitting again with the same key returns the "
                                         "existing job instead of starting a new one")
    send = st.form_submit_button("Submit job", type="primary")
if send:
    try:
        params = {**fixed, **schema_form.collect(fields, raw, uploads)}
    except ValueError as exc:
        st.error(f"Check the form: {md.inline(exc)}")
    else:
        submit(client, name, params, idempotency_key)

with st.expander("Advanced: params as JSON (an example to start from)"):
    examples = workflow.get("examples") or [{"params": {}}]
    with st.form(f"submit-json:{name}"):
        text = st.text_area("params", value=json.dumps(examples[0]["params"], indent=2),
                            height=300, key=f"submit-json:{name}:params")
        send_json = st.form_submit_button("Submit JSON")
    if send_json:
        try:
            params = json.loads(text)
        except ValueError as exc:
            st.error(f"Not valid JSON: {md.inline(exc)}")
        else:
            submit(client, name, params, None)

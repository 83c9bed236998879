"""The dashboard's entry point (what ``dia3 ui`` hands to ``streamlit run``).

Signed out, it shows only the sign-in form; signed in, the pages under ``views/``. Page files
live in ``views/`` rather than ``pages/`` so Streamlit's automatic page discovery never shows
them before sign-in. The file is not called ``app.py``: Streamlit puts this folder first on
``sys.path``, where that name would hide DIA3's ``app`` package.
"""

from pathlib import Path

import streamlit as st

from app.settings import get_settings
from ui.dashboard import session

# The tab icon is a file of the package, served by the dashboard itself: a Material icon
# name or an emoji would have the browser fetch a font or an image from another host, which
# fails offline.
ICON = Path(__file__).resolve().parent / "static" / "icon.png"
st.set_page_config(page_title="DIA3 dashboard", page_icon=str(ICON), layout="wide")

signed_in = session.client() is not None
# The pages are declared even before sign-in (hidden), so the page and query of the address
# opened (a link to ``/job?job=<id>``) are still the ones shown once the user has signed in.
navigation = st.navigation([
    st.Page("views/submit.py", title="Submit", icon=":material/play_arrow:", url_path="submit",
            default=True),
    st.Page("views/jobs.py", title="Jobs", icon=":material/list:", url_path="jobs"),
    st.Page("views/job.py", title="Job", icon=":material/insights:", url_path="job"),
    st.Page("views/schedules.py", title="Schedules", icon=":material/schedule:",
            url_path="schedules"),
    st.Page("views/knowledge.py", title="Knowledge base", icon=":material/library_books:",
            url_path="knowledge"),
    st.Page("views/topics.py", title="Topics", icon=":material/hub:", url_path="topics"),
    st.Page("views/audit.py", title="Audit log", icon=":material/policy:", url_path="audit"),
], position="sidebar" if signed_in else "hidden")
if not signed_in:
    session.sign_in_form()
    st.stop()

with st.sidebar:
    st.caption(f"API {get_settings().client_api_url}")
    if st.button("Sign out", key="sign-out"):
        session.sign_out()
        st.rerun()
session.remember()
navigation.run()

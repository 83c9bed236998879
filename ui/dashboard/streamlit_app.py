"""The dashboard's entry point (what ``dia3 ui`` hands to ``streamlit run``).

Signed out, it shows only the sign-in form; signed in, the pages under ``views/``. Page files
live in ``views/`` rather than ``pages/`` so Streamlit's automatic page discovery never shows
them before sign-in. The file is not called ``app.py``: Streamlit puts this folder first on
``sys.path``, where that name would hide DIA3's ``app`` package.
"""

import streamlit as st

from app.settings import get_settings
from ui.dashboard import session

# The tab icon is drawn here and sent as a data: URL: a Material icon name would have every
# browser that opens the dashboard fetch it from Google's font servers.
ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
        '<rect width="24" height="24" rx="5" fill="#0969da"/><path d="M7 17v-5M12 17V7M17 17v-8"'
        ' stroke="#fff" stroke-width="2.6" stroke-linecap="round"/></svg>')
st.set_page_config(page_title="DIA3 dashboard", page_icon=ICON, layout="wide")

if session.client() is None:
    session.sign_in_form()
    st.stop()

navigation = st.navigation([
    st.Page("views/submit.py", title="Submit", icon=":material/play_arrow:", url_path="submit",
            default=True),
    st.Page("views/jobs.py", title="Jobs", icon=":material/list:", url_path="jobs"),
    st.Page("views/job.py", title="Job", icon=":material/insights:", url_path="job"),
    st.Page("views/knowledge.py", title="Knowledge base", icon=":material/library_books:",
            url_path="knowledge"),
    st.Page("views/audit.py", title="Audit log", icon=":material/policy:", url_path="audit"),
])
with st.sidebar:
    st.caption(f"API {get_settings().client_api_url}")
    if st.button("Sign out", key="sign-out"):
        session.sign_out()
        st.rerun()
navigation.run()

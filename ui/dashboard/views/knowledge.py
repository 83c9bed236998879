"""The knowledge base: collections, their documents, and search with scores."""

import pandas as pd
import streamlit as st

from app.client import APIError
from app.reports import markup as md
from ui.client import KnowledgeBaseUnavailable, items_of
from ui.dashboard import session

client = session.client()
st.title("Knowledge base")
try:
    collections = client.collections()
except KnowledgeBaseUnavailable:
    st.info("The knowledge base is not available on this server: its API "
            "(`/api/v1/collections`) does not answer here yet.")
    st.stop()
except APIError as exc:
    st.error(md.inline(exc))
    st.stop()
if not collections:
    st.info("No collections yet.")
    st.stop()

names = [c.get("name", "?") for c in collections]
st.dataframe(pd.DataFrame(collections), hide_index=True)
name = st.selectbox("Collection", names, key="kb:collection")

documents = session.call(client.documents, name)
if documents is not None:
    st.subheader("Documents")
    st.dataframe(pd.DataFrame(items_of(documents, "items", "documents")), hide_index=True)

st.subheader("Search")
with st.form("kb:search"):
    query = st.text_input("Query", key="kb:query")
    k = st.slider("Hits", 1, 20, 5, key="kb:k")
    go = st.form_submit_button("Search")
if go and query.strip():
    found = session.call(client.search, name, query.strip(), k)
    if found is not None:
        hits = items_of(found, "hits", "items")
        if not hits:
            st.info("No hits.")
        for hit in hits:
            title = (hit.get("metadata") or {}).get("title") or hit.get("document_id", "")
            st.markdown(f"**{hit.get('score', 0):.3f}** · {md.inline(title)}")
            st.caption(md.paragraphs(hit.get("text", "")))

"""The Streamlit dashboard (``dia3 ui``): submit jobs, follow them, look at their results."""

"""DIA3's web surfaces for people: the Streamlit dashboard and the landing page.

Both talk to DIA3 only through the REST API (``ui.client``), never to Redis or Chroma, so they
see exactly what an API key may see and run anywhere the API is reachable.
"""

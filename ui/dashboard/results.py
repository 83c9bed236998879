"""A job's result on the page: pictures for the shapes people would rather look at, JSON for
everything else, and downloads as JSON and Markdown. Names, texts and notes in a result come
from users, documents and models: they reach Markdown only through ``app.reports.markup``."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from app.reports import forecast_series, job_markdown, result_kind
from app.reports import markup as md
from ui.dashboard import charts

INLINE_JSON_MAX = 200_000


def _chart(chart) -> None:
    if chart is not None:
        st.altair_chart(chart, width="stretch")


def sentiment(result: dict) -> None:
    total = result.get("count") or sum(result["counts"].values())
    cols = st.columns(3)
    cols[0].metric("texts", f"{total:,}")
    cols[1].metric("mean compound", f"{result.get('mean', 0):+.3f}")
    cols[2].metric("positive share", f"{result['counts'].get('positive', 0) / max(1, total):.0%}")
    left, right = st.columns(2)
    with left:
        _chart(charts.sentiment_distribution(result))
    with right:
        _chart(charts.compound_histogram(result))
    _chart(charts.sentiment_trend(result))
    ranked = sorted((i for i in result["items"] if "compound" in i), key=lambda i: i["compound"])
    if ranked:
        st.caption("Most negative and most positive texts")
        st.dataframe(pd.DataFrame(ranked[:5] + ranked[-5:][::-1]), hide_index=True)


def monte_carlo(result: dict) -> None:
    cols = st.columns(4)
    cols[0].metric("simulations", f"{result.get('n_valid', 0):,}")
    cols[1].metric("mean", f"{result.get('mean') or 0:,.4g}")
    cols[2].metric("std", f"{result.get('std') or 0:,.4g}")
    levels = ((result.get("risk") or {}).get("levels") or {})
    if levels:
        name, level = max(levels.items(), key=lambda kv: float(kv[0]))
        cols[3].metric(f"VaR {name}%", f"{level['var']:,.4g}",
                       help=f"CVaR {name}%: {level['cvar']:,.4g}")
    _chart(charts.mc_histogram(result))
    _chart(charts.mc_fan(result))
    if result.get("quantiles"):
        st.dataframe(pd.DataFrame([result["quantiles"]]), hide_index=True)


def forecast(result: dict) -> None:
    for series in forecast_series(result):
        if series.get("name"):
            st.markdown(f"**{md.inline(series['name'])}**")
        _chart(charts.forecast_chart(series))
        _chart(charts.mc_fan(series))
        for note in series.get("notes") or []:
            st.caption(md.inline(note))


def youtube(result: dict) -> None:
    timeline = result["sentiment"]
    cols = st.columns(3)
    cols[0].metric("segments", f"{timeline.get('count', 0):,}")
    cols[1].metric("mean compound", f"{timeline.get('mean', 0):+.3f}")
    cols[2].metric("duration", f"{result.get('duration_seconds', 0) / 60:.1f} min")
    _chart(charts.video_timeline(result))
    key_points = result.get("summary") or []
    if key_points:
        st.subheader("Summary")
        for point in key_points:
            start = int(point.get("start") or 0)
            stamp = f"{start // 60}:{start % 60:02d}"
            link = md.link(stamp, f"{result['url']}&t={start}s") if result.get("url") else stamp
            st.markdown(f"- {link} {md.inline(point['text'])}")


def report(result: dict) -> None:
    if isinstance(result.get("markdown"), str):
        # The strategic report's Markdown carries its own evidence list; citations link to
        # anchors in it, which need raw HTML. Its fields were escaped when it was built;
        # only_own_html also keeps a report stored before then from running anything.
        st.markdown(md.only_own_html(result["markdown"]), unsafe_allow_html=True)
        return
    st.markdown(md.paragraphs(result.get("report") or ""))
    citations = result.get("citations") or result.get("evidence") or []
    if citations:
        st.subheader("Evidence")
        for number, cite in enumerate(citations, 1):
            if not isinstance(cite, dict):
                st.markdown(f"{number}. {md.inline(cite)}")
                continue
            source = cite.get("url") or cite.get("source") or ""
            label = cite.get("title") or cite.get("document_id") or source or f"[{number}]"
            st.markdown(f"{number}. {md.link(label, source)} — {md.inline(cite.get('text', ''))}")


RENDERERS = {"sentiment": sentiment, "youtube": youtube, "monte_carlo": monte_carlo,
             "forecast": forecast, "report": report}


def downloads(job: dict, result: Any) -> None:
    base = f"{job['workflow']}-{job['id'][:12]}"
    left, right = st.columns(2)
    left.download_button("Download JSON", json.dumps(result, indent=1, default=str),
                         file_name=f"{base}.json", mime="application/json")
    right.download_button("Download Markdown", job_markdown(job, result),
                          file_name=f"{base}.md", mime="text/markdown")


def render(job: dict, result: Any) -> str:
    """Draw the result; returns the kind of picture chosen (for tests and captions)."""
    kind = result_kind(result)
    renderer = RENDERERS.get(kind)
    if renderer:
        renderer(result)
    downloads(job, result)
    text = json.dumps(result, default=str)
    with st.expander("Result as JSON", expanded=renderer is None):
        if len(text) <= INLINE_JSON_MAX:
            st.json(result, expanded=renderer is None)
        else:
            st.caption(f"{len(text):,} characters: use the JSON download.")
    return kind

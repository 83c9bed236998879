"""A job's result on the page: pictures for the shapes people would rather look at, JSON for
everything else, and downloads as JSON and Markdown. Names, texts and notes in a result come
from users, documents and models: they reach Markdown only through ``app.reports.markup``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import streamlit as st

from app.reports import (
    anomaly_series,
    forecast_series,
    job_markdown,
    result_kind,
    sentiment_extremes,
)
from app.reports import markup as md
from ui.dashboard import charts

INLINE_JSON_MAX = 200_000
EXTREMES = 5
TEXT_CHARS = 300


def _chart(chart) -> None:
    if chart is not None:
        st.altair_chart(chart, width="stretch")


def extremes_frame(result: dict, params: dict) -> pd.DataFrame:
    """The most negative and the most positive texts (``sentiment_extremes``, as in the CLI
    and the Markdown report: each text once), with the text itself from the job's params.
    Cells are Markdown (``st.table``), so what users wrote goes in through ``markup``."""
    texts = params.get("texts") or []
    negative, positive = sentiment_extremes(result["items"], EXTREMES)

    def row(side: str, item: dict) -> dict:
        index = item.get("index", -1)
        text = str(texts[index]) if isinstance(index, int) and 0 <= index < len(texts) else ""
        text = text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS - 1] + "…"
        return {"side": side, "id": md.inline(item.get("id", "")),
                "compound": f"{item['compound']:+.3f}", "label": md.inline(item.get("label", "")),
                "text": md.inline(text)}
    return pd.DataFrame([row("most negative", i) for i in negative]
                        + [row("most positive", i) for i in positive])


def sentiment(result: dict, job: dict) -> None:
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
    frame = extremes_frame(result, job.get("params") or {})
    if not frame.empty:
        st.caption("Most negative and most positive texts")
        st.table(frame.set_index("side"))


def monte_carlo(result: dict, job: dict) -> None:
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
        st.caption("Quantiles of the outcome")
        st.table(charts.quantile_rows(result["quantiles"]).set_index("quantile"))


def observed_history(params: dict, count: int) -> list[list | None]:
    """Each forecast or anomaly series' observed values, from the job's params (``series``
    is one object for a scenario forecast, a list in result order otherwise); None where
    unknown."""
    series = params.get("series")
    series = [series] if isinstance(series, dict) else series
    if not isinstance(series, list) or len(series) != count:
        return [None] * count
    return [s.get("values") if isinstance(s, dict) else None for s in series]


def _named_series(all_series: list[dict], job: dict) -> Iterator[tuple[dict, list | None]]:
    """Each series of a result with the values the job was given, under its name."""
    history = observed_history(job.get("params") or {}, len(all_series))
    for series, observed in zip(all_series, history, strict=True):
        if series.get("name"):
            st.markdown(f"**{md.inline(series['name'])}**")
        yield series, observed


def forecast(result: dict, job: dict) -> None:
    for series, observed in _named_series(forecast_series(result), job):
        _chart(charts.forecast_chart(series, observed))
        _chart(charts.mc_fan(series))
        for note in series.get("notes") or []:
            st.caption(md.inline(note))


def anomaly(result: dict, job: dict) -> None:
    for series, observed in _named_series(anomaly_series(result), job):
        _chart(charts.anomaly_chart(series, observed))
        if series["anomalies"]:
            st.dataframe(pd.DataFrame([{"index": a["index"], "time": a.get("timestamp", ""),
                                        "kind": a["kind"], "score": a["score"]}
                                       for a in series["anomalies"]]), hide_index=True)


def youtube(result: dict, job: dict) -> None:
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


def report(result: dict, job: dict) -> None:
    if isinstance(result.get("markdown"), str):
        # The strategic report's Markdown carries its own evidence list; citations link to
        # anchors in it, which need raw HTML. Its fields were escaped when it was built;
        # only_own_html also keeps a report stored before then from running anything.
        st.markdown(md.only_own_html(result["markdown"]), unsafe_allow_html=True)
        citation_problems(result.get("citation_problems"))
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


def citation_problems(problems: Any) -> None:
    """Citations a model invented (ids of evidence it was never given): dropped from the
    report, listed here so a reader knows the report claimed more than it could back."""
    if not isinstance(problems, list) or not problems:
        return
    st.warning(f"{len(problems)} citation(s) were dropped: they named evidence that was not "
               "retrieved.")
    rows = [p if isinstance(p, dict) else {"problem": p} for p in problems]
    st.table(pd.DataFrame([{"where": md.inline(p.get("path", "")),
                            "cited id": md.inline(p.get("id", "")),
                            "problem": md.inline(p.get("problem", ""))} for p in rows]))


def topics(result: dict, job: dict) -> None:
    """Sizes as bars, then each topic's label, keywords and representative texts (labels,
    keywords and texts come from the documents: through ``markup``)."""
    cols = st.columns(3)
    cols[0].metric("topics", f"{result.get('k', 0):,}")
    cols[1].metric("texts", f"{result.get('count', 0):,}")
    cols[2].metric("outliers", f"{result.get('outliers', 0):,}")
    _chart(charts.topic_sizes(result))
    for topic in result.get("topics") or []:
        with st.expander(f"{topic['id']}: {topic['label']} ({topic['size']:,})"):
            st.markdown("**Keywords:** " + md.inline(", ".join(topic.get("keywords") or [])))
            for item in topic.get("representatives") or []:
                source = item.get("document_id") or f"text {item.get('index')}"
                st.markdown(f"- {md.inline(source)} · {item.get('similarity', 0):.2f}")
                st.caption(md.paragraphs(item.get("text", "")[:TEXT_CHARS]))


RENDERERS = {"sentiment": sentiment, "youtube": youtube, "monte_carlo": monte_carlo,
             "forecast": forecast, "anomaly": anomaly, "report": report, "topics": topics}


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
        renderer(result, job)
    downloads(job, result)
    text = json.dumps(result, default=str)
    with st.expander("Result as JSON", expanded=renderer is None):
        if len(text) <= INLINE_JSON_MAX:
            st.json(result, expanded=renderer is None)
        else:
            st.caption(f"{len(text):,} characters: use the JSON download.")
    return kind

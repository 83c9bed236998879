"""Altair charts of the known result shapes (see ``app.reports.result_kind``).

Pure functions from a result to a chart, so the choice of picture is tested without a browser
and the pages only place them.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest

import altair as alt
import pandas as pd

LABEL_COLOURS = {"negative": "#d62728", "neutral": "#7f7f7f", "positive": "#2ca02c"}
#: the y axis of a count: whole-number ticks only
COUNT_AXIS = alt.Axis(tickMinStep=1, format="d")


def sentiment_distribution(result: dict) -> alt.Chart:
    """Texts per label, coloured like the labels people expect."""
    frame = pd.DataFrame([{"label": k, "texts": v} for k, v in result["counts"].items()])
    labels = list(frame["label"])
    colours = [LABEL_COLOURS.get(label, "#1f77b4") for label in labels]
    return alt.Chart(frame, title="Texts per label").mark_bar().encode(
        x=alt.X("label:N", sort=labels, title=None),
        y=alt.Y("texts:Q", title="texts", axis=COUNT_AXIS),
        color=alt.Color("label:N", scale=alt.Scale(domain=labels, range=colours), legend=None),
        tooltip=["label", "texts"])


def compound_histogram(result: dict) -> alt.Chart | None:
    scores = [i["compound"] for i in result["items"] if isinstance(i.get("compound"), (int,
                                                                                       float))]
    if not scores:
        return None
    return alt.Chart(pd.DataFrame({"compound": scores}),
                     title="Distribution of compound scores").mark_bar().encode(
        x=alt.X("compound:Q", bin=alt.Bin(extent=[-1, 1], step=0.1), title="compound score"),
        y=alt.Y("count():Q", title="texts", axis=COUNT_AXIS))


def sentiment_trend(result: dict) -> alt.Chart | None:
    trend = result.get("trend") or {}
    points = trend.get("points") or []
    if not points:
        return None
    frame = pd.DataFrame(points)
    frame["start"] = pd.to_datetime(frame["start"], utc=True, errors="coerce")
    base = alt.Chart(frame, title=f"Mean sentiment per {trend.get('bucket', 'bucket')}")
    line = base.mark_line(point=True).encode(
        x=alt.X("start:T", title=None), y=alt.Y("mean:Q", title="mean compound",
                                                scale=alt.Scale(domain=[-1, 1])),
        tooltip=["start:T", "mean:Q", "count:Q"])
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    return with_anomalies(line + zero, trend.get("anomalies"), list(frame["start"]),
                          list(frame["mean"]), "start:T", "mean:Q")


LABEL_ROW_PX = 16


def mc_histogram(result: dict) -> alt.LayerChart | alt.Chart | None:
    """Outcome histogram with a rule at the outcome each VaR level corresponds to
    (loss = reference − outcome, so VaR_c sits at reference − VaR_c). Bars rise from zero
    (``y2``); each level's label has a row of its own, as the levels' outcomes are close."""
    hist = result["histogram"]
    edges, counts = hist.get("edges") or [], hist.get("counts") or []
    if len(edges) < 2:
        return None
    frame = pd.DataFrame({"from": edges[:-1], "to": edges[1:], "paths": counts})
    bars = alt.Chart(frame, title="Distribution of outcomes").mark_bar().encode(
        x=alt.X("from:Q", title="outcome", scale=alt.Scale(zero=False)), x2="to:Q",
        y=alt.Y("paths:Q", title="simulations", scale=alt.Scale(domainMin=0), axis=COUNT_AXIS),
        y2=alt.datum(0), tooltip=["from:Q", "to:Q", "paths:Q"])
    risk = result.get("risk") or {}
    levels = sorted((risk.get("levels") or {}).items(), key=lambda kv: float(kv[0]))
    rules = [{"outcome": risk["reference"] - level["var"], "level": f"VaR {name}%",
              "row": LABEL_ROW_PX * (i + 1)}
             for i, (name, level) in enumerate(levels)
             if level.get("var") is not None and risk.get("reference") is not None]
    if not rules:
        return bars
    marks = alt.Chart(pd.DataFrame(rules)).mark_rule(color="#d62728", strokeWidth=2).encode(
        x="outcome:Q", tooltip=["level:N", "outcome:Q"])
    text = alt.Chart(pd.DataFrame(rules)).mark_text(align="left", dx=4, color="#d62728") \
        .encode(x="outcome:Q", y=alt.Y("row:Q", scale=None), text="level:N")
    return bars + marks + text


def quantile_rows(quantiles: dict) -> pd.DataFrame:
    """A result's quantiles (``p1``, ``p5``, … ``p99``) as rows in numeric order."""
    ordered = sorted(quantiles.items(), key=lambda kv: _quantile_value(kv[0]))
    return pd.DataFrame([{"quantile": k, "value": v} for k, v in ordered])


def _quantile_value(label: str) -> float:
    return float(label.lstrip("p"))


def mc_fan(result: dict) -> alt.LayerChart | None:
    """Fan chart: bands between symmetric quantiles of the paths and the median."""
    fan = result.get("fan_chart")
    if not fan or not fan.get("quantiles"):
        return None
    times = fan.get("times") or fan.get("steps")
    labels = sorted(fan["quantiles"], key=_quantile_value)
    layers = []
    for i in range(len(labels) // 2):
        low, high = labels[i], labels[-1 - i]
        frame = pd.DataFrame({"time": times, "low": fan["quantiles"][low],
                              "high": fan["quantiles"][high]})
        layers.append(alt.Chart(frame).mark_area(opacity=0.15 + 0.15 * i, color="#1f77b4")
                      .encode(x=alt.X("time:Q", title="time"),
                              y=alt.Y("low:Q", title="value",
                                      scale=alt.Scale(zero=False)), y2="high:Q",
                              tooltip=[alt.Tooltip("time:Q"),
                                       alt.Tooltip("low:Q", title=low),
                                       alt.Tooltip("high:Q", title=high)]))
    middle = min(labels, key=lambda label: abs(_quantile_value(label) - 50))
    frame = pd.DataFrame({"time": times, "median": fan["quantiles"][middle]})
    layers.append(alt.Chart(frame).mark_line(color="#08306b").encode(
        x="time:Q", y="median:Q", tooltip=["time:Q", "median:Q"]))
    return alt.layer(*layers).properties(title="Fan chart of simulated paths")


FORECAST_KINDS = {"observed": "#333333", "fitted": "#1f77b4", "forecast": "#ff7f0e"}


def forecast_chart(series: dict, observed: list | None = None) -> alt.LayerChart:
    """The observed history (from the job's params: a result holds only what the model
    made of it), fitted values, the point forecast and each prediction interval as a band.
    Positions count from the first observation; the forecast starts after the last one."""
    fitted = series.get("fitted") or []
    observed = observed or []
    horizon = len(series["forecast"])
    start = len(fitted) or len(observed)
    rows = [{"t": i, "value": v, "kind": "observed"} for i, v in enumerate(observed)
            if isinstance(v, (int, float))]
    rows += [{"t": i, "value": v, "kind": "fitted"} for i, v in enumerate(fitted)
             if v is not None]
    rows += [{"t": start + h, "value": v, "kind": "forecast"}
             for h, v in enumerate(series["forecast"]) if v is not None]
    kinds = [kind for kind in FORECAST_KINDS if any(r["kind"] == kind for r in rows)]
    lines = alt.Chart(pd.DataFrame(rows)).mark_line().encode(
        x=alt.X("t:Q", title="period"), y=alt.Y("value:Q", title="value"),
        color=alt.Color("kind:N", title=None, scale=alt.Scale(
            domain=kinds, range=[FORECAST_KINDS[k] for k in kinds])),
        tooltip=["t:Q", "value:Q", "kind:N"])
    bands = []
    levels = sorted((series.get("intervals") or {}).items(), key=lambda kv: -float(kv[0]))
    for i, (level, band) in enumerate(levels):
        frame = pd.DataFrame({"t": [start + h for h in range(horizon)],
                              "lower": band.get("lower"), "upper": band.get("upper")})
        bands.append(alt.Chart(frame).mark_area(opacity=0.15 + 0.15 * i, color="#ff7f0e")
                     .encode(x="t:Q", y="lower:Q", y2="upper:Q",
                             tooltip=[alt.Tooltip("lower:Q", title=f"lower {level}%"),
                                      alt.Tooltip("upper:Q", title=f"upper {level}%")]))
    title = f"Forecast ({series.get('model', 'model')})"
    # residual anomalies sit on the observed value, or on the fitted one without the history
    marked = [o if isinstance(o, (int, float)) else f for o, f in zip_longest(observed, fitted)]
    return with_anomalies(alt.layer(*bands, lines), series.get("anomalies"),
                          range(len(marked)), marked, "t:Q", "value:Q").properties(title=title)


ANOMALY_KINDS = {"spike": "#d62728", "level_shift": "#9467bd", "variance_change": "#ff7f0e"}


def anomaly_rows(anomalies: list | None, xs: Sequence, ys: Sequence, x: str, y: str
                 ) -> list[dict]:
    """One row per anomaly placed on a line: ``xs[index]``, ``ys[index]``; anomalies off the
    line or at a point without a value are left out."""
    return [{x: xs[a["index"]], y: ys[a["index"]], "kind": a["kind"], "score": a.get("score")}
            for a in anomalies or []
            if isinstance(a, dict) and isinstance(a.get("index"), int)
            and 0 <= a["index"] < min(len(xs), len(ys))
            and isinstance(ys[a["index"]], (int, float))]


def anomaly_points(rows: list[dict], x: str, y: str) -> alt.Chart:
    """The anomalies of :func:`anomaly_rows` as points coloured by their kind (``x`` and
    ``y`` are encodings such as ``"t:Q"``)."""
    kinds = [k for k in ANOMALY_KINDS if any(r["kind"] == k for r in rows)]
    return alt.Chart(pd.DataFrame(rows)).mark_point(filled=True, size=80).encode(
        x=x, y=y, color=alt.Color("kind:N", title=None, scale=alt.Scale(
            domain=kinds, range=[ANOMALY_KINDS[k] for k in kinds])),
        tooltip=[x, y, "kind:N", "score:Q"])


def with_anomalies(chart: alt.LayerChart, anomalies: list | None, xs: Sequence,
                   ys: Sequence, x: str, y: str) -> alt.LayerChart:
    """``chart`` with the anomalies a result found in its line marked as the anomaly chart
    marks them; colour scales stay apart so the marks' legend is their kinds only."""
    rows = anomaly_rows(anomalies, xs, ys, x.split(":")[0], y.split(":")[0])
    if not rows:
        return chart
    return alt.layer(*chart.layer, anomaly_points(rows, x, y)).resolve_scale(
        color="independent")


def anomaly_chart(series: dict, observed: list | None = None) -> alt.LayerChart:
    """The series (from the job's params: a result holds scores, not values) with each
    anomaly marked as a point coloured by its kind and each change point as a rule; without
    the values, the score per point takes the line's place."""
    scores = series.get("scores") or []
    values = observed if observed and len(observed) == len(scores) else None
    field = "value" if values is not None else "score"
    line_values = values if values is not None else scores
    rows = [{"t": i, field: v} for i, v in enumerate(line_values) if isinstance(v, (int, float))]
    line = alt.Chart(pd.DataFrame(rows)).mark_line(color="#333333").encode(
        x=alt.X("t:Q", title="index"), y=alt.Y(f"{field}:Q", title=field),
        tooltip=["t:Q", f"{field}:Q"])
    marks = anomaly_rows(series.get("anomalies"), range(len(line_values)), line_values,
                         "t", field)
    layers: list = [line]
    if marks:
        layers.append(anomaly_points(marks, "t:Q", f"{field}:Q"))
    changes = [{"t": c["index"], "kind": c.get("kind")} for c in series.get("change_points")
               or []]
    if changes:
        layers.append(alt.Chart(pd.DataFrame(changes)).mark_rule(strokeDash=[4, 4],
                                                                  color="#9467bd").encode(
            x="t:Q", tooltip=["t:Q", "kind:N"]))
    return alt.layer(*layers).properties(title=f"Anomalies ({len(marks)})")


def video_timeline(result: dict) -> alt.LayerChart | None:
    """Mean sentiment per window of video time (minutes), labelled by window."""
    points = (result.get("sentiment") or {}).get("points") or []
    if not points:
        return None
    frame = pd.DataFrame(points)
    frame["minute"] = frame["start"] / 60.0
    line = alt.Chart(frame, title="Sentiment over the video").mark_line(point=True).encode(
        x=alt.X("minute:Q", title="video time (minutes)"),
        y=alt.Y("mean:Q", title="mean compound", scale=alt.Scale(domain=[-1, 1])),
        color=alt.value("#1f77b4"), tooltip=["minute:Q", "mean:Q", "count:Q", "label:N"])
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    return with_anomalies(line + zero, (result.get("sentiment") or {}).get("anomalies"),
                          list(frame["minute"]), list(frame["mean"]), "minute:Q", "mean:Q")


def topic_sizes(result: dict) -> alt.Chart | None:
    """Texts per topic, largest first, each bar named by the topic's label; the outliers of
    ``auto`` as a grey bar of their own."""
    rows = [{"topic": f"{t['id']}: {t['label']}", "texts": t["size"], "outlier": False}
            for t in result.get("topics") or []]
    if result.get("outliers"):
        rows.append({"topic": "-1: outliers", "texts": result["outliers"], "outlier": True})
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    return alt.Chart(frame, title="Texts per topic").mark_bar().encode(
        y=alt.Y("topic:N", sort=list(frame["topic"]), title=None),
        x=alt.X("texts:Q", title="texts", axis=COUNT_AXIS),
        color=alt.Color("outlier:N", scale=alt.Scale(domain=[False, True],
                                                     range=["#1f77b4", "#bbbbbb"]),
                        legend=None),
        tooltip=["topic", "texts"])

"""Markdown reports of a job and its result, and which known shape a result has.

One implementation serves the MCP server's report resources and the dashboard's Markdown
download, so a report reads the same wherever it is fetched. Shapes are recognised by their
fields rather than by workflow name, so a new workflow that returns a known shape is rendered
the known way and anything else falls back to JSON. Every value from a job, its params or its
result goes in through ``markup``, so what users, documents or models wrote stays text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from app.reports import markup as md

JSON_LIMIT = 20_000
TABLE_ROWS = 50


def result_kind(result: Any) -> str:
    """``sentiment``, ``youtube``, ``monte_carlo``, ``forecast``, ``anomaly``, ``report``,
    ``topics`` or ``json``."""
    if not isinstance(result, dict):
        return "json"
    if isinstance(result.get("counts"), dict) and isinstance(result.get("items"), list):
        return "sentiment"
    if isinstance(result.get("histogram"), dict) and "edges" in result["histogram"]:
        return "monte_carlo"
    if forecast_series(result):
        return "forecast"
    if anomaly_series(result):
        return "anomaly"
    if result.get("video_id") and isinstance(result.get("sentiment"), dict):
        return "youtube"
    if isinstance(result.get("markdown"), str) or isinstance(result.get("report"), str):
        return "report"
    if isinstance(result.get("topics"), list) and isinstance(result.get("assignments"), list):
        return "topics"
    return "json"


def forecast_series(result: dict) -> list[dict]:
    """The forecast(s) in a result: the result itself, or each entry of its ``series``."""
    if isinstance(result.get("forecast"), list):
        return [result]
    series = result.get("series")
    if isinstance(series, list) and series and all(
            isinstance(s, dict) and isinstance(s.get("forecast"), list) for s in series):
        return series
    return []


def anomaly_series(result: dict) -> list[dict]:
    """The series of an anomaly result (each with its ``anomalies`` and ``scores``)."""
    series = result.get("series")
    if isinstance(series, list) and series and all(
            isinstance(s, dict) and isinstance(s.get("anomalies"), list)
            and isinstance(s.get("scores"), list) for s in series):
        return series
    return []


def epoch(value: float | str | None) -> float | None:
    """Seconds since the epoch from either spelling of a time: the service's floats or the
    REST API's ISO 8601 strings."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return float(value)


def when(value: float | str | None) -> str:
    seconds = epoch(value)
    if seconds is None:
        return "–"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(job: dict) -> float | None:
    start = epoch(job.get("started_at") or job.get("created_at"))
    end = epoch(job.get("finished_at"))
    return end - start if start is not None and end is not None else None


def _num(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–" if value is None else str(value)
    return f"{value:,.{digits}g}" if isinstance(value, float) else f"{value:,}"


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A GFM table whose cells are text (a ``|`` or markup in a value stays in its cell)."""
    lines = ["| " + " | ".join(map(md.inline, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md.inline(c if isinstance(c, str) else _num(c)) for c in row)
              + " |" for row in rows]
    return "\n".join(lines)


def _sentiment(result: dict) -> list[str]:
    total = max(1, result.get("count") or sum(result["counts"].values()))
    out = [f"{result.get('count', total)} texts, mean compound score "
           f"{_num(result.get('mean'), 3)}.", "",
           table(["label", "count", "share"],
                 [[label, n, f"{n / total:.1%}"] for label, n in result["counts"].items()])]
    trend = result.get("trend")
    if trend and trend.get("points"):
        out += ["", f"### Trend per {md.inline(trend.get('bucket', 'bucket'))}", "",
                table(["bucket start", "texts", "mean"],
                      [[p.get("start"), p.get("count"), p.get("mean")]
                       for p in trend["points"][:TABLE_ROWS]])]
    negative, positive = sentiment_extremes(result["items"], 3)
    if negative or positive:
        out += ["", "### Extremes", "",
                table(["", "id", "compound"],
                      [["most negative", str(i.get("id")), i["compound"]] for i in negative]
                      + [["most positive", str(i.get("id")), i["compound"]] for i in positive])]
    return out


def sentiment_extremes(items: list[dict], n: int) -> tuple[list[dict], list[dict]]:
    """The ``n`` most negative and ``n`` most positive scored items. Only texts labelled
    negative can be among the most negative and only positive ones among the most positive,
    so with few texts no text is listed on both sides."""
    ranked = sorted((i for i in items if isinstance(i.get("compound"), (int, float))),
                    key=lambda i: i["compound"])
    return ([i for i in ranked if _label(i) == "negative"][:n],
            [i for i in ranked[::-1] if _label(i) == "positive"][:n])


def _label(item: dict) -> str:
    """The item's label, or VADER's convention (±0.05) for an item stored without one."""
    compound = item["compound"]
    return item.get("label") or ("positive" if compound >= 0.05 else
                                 "negative" if compound <= -0.05 else "neutral")


def _monte_carlo(result: dict) -> list[str]:
    out = [table(["statistic", "value"],
                 [[name, result.get(name)] for name in
                  ("model", "n_simulations", "n_valid", "mean", "std", "standard_error", "min",
                   "max", "seed") if name in result])]
    if result.get("quantiles"):
        out += ["", "### Quantiles", "",
                table(["quantile", "value"], [[k, v] for k, v in result["quantiles"].items()])]
    levels = (result.get("risk") or {}).get("levels") or {}
    if levels:
        out += ["", "### Value at risk", "", table(
            ["level %", "VaR", "CVaR"], [[k, v.get("var"), v.get("cvar")]
                                         for k, v in levels.items()])]
        out += ["", f"_{md.inline(result['risk'].get('convention', ''))}_"]
    if result.get("thresholds"):
        out += ["", "### Thresholds", "", table(
            ["threshold", "P(above)", "P(below)"],
            [[t.get("threshold"), t.get("p_above"), t.get("p_below")]
             for t in result["thresholds"]])]
    greeks = result.get("greeks") or {}
    if greeks:
        out += ["", "### Greeks", "", table(
            ["greek", "method", "value", "standard error"],
            [[greek, method, e.get("value"), e.get("standard_error")]
             for greek, methods in greeks.items() for method, e in methods.items()])]
    return out


def _forecast(result: dict) -> list[str]:
    out: list[str] = []
    for number, series in enumerate(forecast_series(result)):
        name = series.get("name") or series.get("id") or f"series {number + 1}"
        levels = sorted((series.get("intervals") or {}).items(), key=lambda kv: float(kv[0]))
        header = ["step", "forecast"] + [f"{side} {lvl}%" for lvl, _ in levels
                                         for side in ("lower", "upper")]
        stamps = series.get("timestamps") or []
        rows = []
        for h, point in enumerate(series["forecast"][:TABLE_ROWS]):
            label = str(stamps[h]) if h < len(stamps) else str(h + 1)
            bounds = [band[side][h] if h < len(band.get(side, [])) else None
                      for _, band in levels for side in ("lower", "upper")]
            rows.append([label, point, *bounds])
        out += [f"### {md.inline(name)} ({md.inline(series.get('model', 'model'))})", "",
                table(header, rows), ""]
    return out


def _anomaly(result: dict) -> list[str]:
    out: list[str] = []
    for number, series in enumerate(anomaly_series(result)):
        name = series.get("name") or f"series {number + 1}"
        anomalies = series["anomalies"]
        out += [f"### {md.inline(name)} ({md.inline(series.get('mode', ''))}): "
                f"{len(anomalies)} anomalies, {len(series.get('change_points') or [])} change "
                "points", ""]
        if anomalies:
            out += [table(["index", "time", "kind", "score"],
                          [[a.get("index"), a.get("timestamp", ""), a.get("kind"),
                            a.get("score")] for a in anomalies[:TABLE_ROWS]]), ""]
    return out


def _report(result: dict) -> list[str]:
    """The strategic report's own Markdown (escaped when it was built; ``only_own_html`` for
    reports stored before that), or any other ``report`` text as text."""
    text = result.get("markdown")
    if isinstance(text, str):
        return [md.only_own_html(text)]
    return [md.paragraphs(result.get("report") or "")]


def _youtube(result: dict) -> list[str]:
    timeline = result["sentiment"]
    lines = [f"Video {md.inline(result.get('url', result['video_id']))}: "
             f"{timeline.get('count', 0)} "
             f"segments, mean sentiment {timeline.get('mean', 0):+.3f}.", "",
             "| from (s) | to (s) | mean | label |", "|---|---|---|---|"]
    lines += [f"| {p['start']:g} | {p['end']:g} | {p['mean']:+.3f} | {md.inline(p['label'])} |"
              for p in timeline.get("points") or []]
    lines += ["", "### Summary", ""]
    lines += [f"- [{int(k.get('start') or 0)} s] {md.inline(k['text'])}"
              for k in result.get("summary") or []]
    return lines


def _topics(result: dict) -> list[str]:
    topics = result.get("topics") or []
    lines = [f"{len(topics)} topics in {result.get('count', 0)} texts "
             f"({result.get('method', '?')}, seed {result.get('seed', 0)}); "
             f"{result.get('outliers', 0)} outliers.", "",
             table(["topic", "label", "size", "keywords"],
                   [[str(t["id"]), t["label"], t["size"], ", ".join(t.get("keywords") or [])]
                    for t in topics])]
    for topic in topics:
        lines += ["", f"### {topic['id']}: {md.inline(topic['label'])}", ""]
        lines += [f"- {md.inline(_source(item))}: {md.inline(item.get('text', ''))}"
                  for item in topic.get("representatives") or []]
    return lines


def _source(item: dict) -> str:
    """A representative text's name: its document id, else its place among the inputs."""
    return str(item.get("document_id") or f"text {item.get('index')}")


def _json_block(value: Any) -> list[str]:
    text = json.dumps(value, indent=1, default=str)
    if len(text) > JSON_LIMIT:
        text = text[:JSON_LIMIT] + "\n… (truncated; download the JSON for all of it)"
    return [md.fenced(text, "json")]


SECTIONS = {"sentiment": _sentiment, "monte_carlo": _monte_carlo, "forecast": _forecast,
            "anomaly": _anomaly,
            "report": _report, "youtube": _youtube, "topics": _topics}


def result_markdown(result: Any) -> str:
    """The result part of a report: a readable summary of a known shape, else JSON."""
    kind = result_kind(result)
    return "\n".join(SECTIONS[kind](result) if kind in SECTIONS else _json_block(result))


def error_markdown(error: dict) -> str:
    """How a job failed, in one line: ``**type** in step `step`: message``."""
    return (f"**{md.inline(error.get('type', 'Error'))}** in step {md.code(error.get('step'))}: "
            f"{md.inline(error.get('message', ''))}")


def job_markdown(job: dict, result: Any = None) -> str:
    """A whole report: what ran, when, how it ended and (when given) its result."""
    progress = job.get("progress") or {}
    lines = [f"# {md.inline(job.get('workflow', 'job'))} job {md.inline(job.get('id', ''))}", "",
             table(["", ""], [
                 ["state", job.get("state", "?")],
                 ["steps", f"{progress.get('done', job.get('steps_done', 0))}/"
                           f"{progress.get('total', job.get('steps_total', 0))}"],
                 ["created", when(job.get("created_at"))],
                 ["started", when(job.get("started_at"))],
                 ["finished", when(job.get("finished_at"))],
                 ["duration (s)", _num(duration(job), 3)]])]
    error = job.get("error")
    if error:
        lines += ["", "## Error", "", error_markdown(error)]
    if result is not None:
        lines += ["", "## Result", "", result_markdown(result)]
    return "\n".join(lines) + "\n"

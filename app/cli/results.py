"""A finished job's result as the terminal shows it: one renderer per workflow, tables of
rounded numbers and the strategic report as Markdown, never a raw dump (``--json`` and
``--output`` give the whole result). Pure: a result in, rich renderables out.

A result of a shape a renderer does not know (a newer server, a failed series) is shown as
JSON rather than as a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from rich.console import RenderableType
from rich.json import JSON
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from app.cli.tables import ROWS, bullets, facts, more, num, pct, shorten, table, usage_line
from app.reports import anomaly_series, duration, forecast_series, sentiment_extremes, when

Renderables = list[RenderableType]
TREND_ROWS = 40
FIRST_STEPS = 3  # forecast steps shown per series
EXTREMES = 3


# ---- one renderer per workflow ---------------------------------------------------------------
def sentiment(result: dict, job: dict) -> Renderables:
    out: Renderables = []
    counts = table(f"Sentiment of {result['count']} texts (mean {result['mean']:+.3f})",
                   "label", "count", "share")
    for label, count in result["counts"].items():
        counts.add_row(label, str(count), f"{count / max(1, result['count']):.1%}")
    out.append(counts)
    trend = result.get("trend")
    if trend and trend.get("points"):
        points = trend["points"]
        t = table(f"Trend per {trend['bucket']}", "bucket start", "texts", "mean",
                  caption=more(TREND_ROWS, len(points), "buckets"))
        for point in points[:TREND_ROWS]:
            t.add_row(point["start"], str(point["count"]), f"{point['mean']:+.3f}")
        out.append(t)
    out += extremes(result["items"], (job.get("params") or {}))
    return [*out, *filter(None, [usage_line(result.get("usage"))])]


def extremes(items: list[dict], params: dict) -> Renderables:
    """The most negative and the most positive texts, quoted. Only negative texts can be
    among the most negative and only positive ones among the most positive, so no text is
    ever both (with two texts, one of each)."""
    texts, ids = params.get("texts") or [], params.get("ids")
    negative, positive = sentiment_extremes(items, EXTREMES)
    sides = (("Most negative", negative), ("Most positive", positive))
    out: Renderables = []
    for title, chosen in sides:
        if not chosen:
            out.append(Text(f"{title}: none", style="bold"))
            continue
        columns = ["id", "score", "text"] if ids else ["score", "text"]
        t = table(title, *columns, text=(0, len(columns) - 1))
        for item in chosen:
            index = item.get("index", -1)
            quoted = shorten(texts[index]) if 0 <= index < len(texts) else f"(text {item['id']})"
            t.add_row(*([str(item["id"])] if ids else []), f"{item['compound']:+.2f}", quoted)
        out.append(t)
    return out


def _interval(series: dict) -> str | None:
    """The widest interval level of a forecast ("95")."""
    levels = sorted(series.get("intervals") or {}, key=float)
    return levels[-1] if levels else None


def forecast(result: dict, job: dict) -> Renderables:
    all_series = forecast_series(result)
    if not all_series:
        raise ValueError("no forecast in this result")
    level = _interval(all_series[0])
    t = table(f"Forecast of {len(all_series)} series", "series", "model", "steps",
              f"first {FIRST_STEPS}{f' ({level}% interval)' if level else ''}", "sMAPE %",
              "MASE", caption=f"Every step{' and interval' if level else ''} with --json; "
                              "sMAPE and MASE from the rolling-origin backtest",
              text=(0, 1, 3))
    notes = []
    for number, series in enumerate(all_series, 1):
        name = str(series.get("name") or series.get("id") or number)
        backtest = series.get("backtest") or {}
        model = series.get("model", "?")
        if series.get("requested_model") not in (None, model):
            model += f" ({series['requested_model']})"
        t.add_row(name, model, str(series.get("horizon", len(series["forecast"]))),
                  "\n".join(first_steps(series, level)), num(backtest.get("smape"), 3),
                  num(backtest.get("mase"), 3))
        notes += [f"{name}: {fb['model']} fell back ({fb['reason']})"
                  for fb in series.get("fallbacks") or []]
    return [t, *([bullets("Fallbacks", notes)] if notes else [])]


def anomaly(result: dict, job: dict) -> Renderables:
    all_series = anomaly_series(result)
    if not all_series:
        raise ValueError("no anomaly series in this result")
    t = table(f"Anomalies in {len(all_series)} series", "series", "mode", "anomalies",
              "change points", f"first {FIRST_STEPS} (index kind score)",
              caption="Every anomaly, change point and score with --json", text=(0, 1, 4))
    for number, series in enumerate(all_series, 1):
        found = series["anomalies"]
        first = [f"{a['index']} {a['kind']} {num(a['score'])}" for a in found[:FIRST_STEPS]]
        t.add_row(str(series.get("name") or number), str(series.get("mode", "?")),
                  str(len(found)), str(len(series.get("change_points") or [])),
                  "\n".join(first) or "none")
    return [t]


def first_steps(series: dict, level: str | None) -> list[str]:
    band = (series.get("intervals") or {}).get(level) or {}
    lower, upper = band.get("lower") or [], band.get("upper") or []
    lines = []
    for h, point in enumerate(series["forecast"][:FIRST_STEPS]):
        bounds = f" [{num(lower[h])}, {num(upper[h])}]" if h < min(len(lower), len(upper)) \
            else ""
        lines.append(f"{num(point)}{bounds}")
    return lines


def scenario_forecast(result: dict, job: dict) -> Renderables:
    out: Renderables = [facts("Scenario forecast", [
        ("model", f"{result.get('model')} ({result.get('method')} errors)"),
        ("paths", f"{num(result.get('n_paths'))} ({num(result.get('n_invalid'))} invalid)"),
        ("seed", result.get("seed"))])]
    fan = result.get("fan_chart") or {}
    quantiles = fan.get("quantiles") or {}
    names = sorted(quantiles, key=lambda q: float(q.lstrip("p")))
    steps = fan.get("steps") or []
    t = table("Fan chart", "step", *names, caption=more(ROWS, len(steps), "steps"))
    for i, step in enumerate(steps[:ROWS]):
        t.add_row(str(step), *(num(quantiles[q][i]) for q in names))
    out.append(t)
    if result.get("thresholds"):
        th = table("Thresholds", "threshold", "P(above at end)", "P(ever above)",
                   "P(ever below)")
        for row in result["thresholds"]:
            th.add_row(f"{row['threshold']:g}", pct(row.get("p_above_at_end")),
                       pct(row.get("p_ever_above")), pct(row.get("p_ever_below")))
        out.append(th)
    return out


def monte_carlo(result: dict, job: dict) -> Renderables:
    out: Renderables = [facts(f"Monte Carlo ({result['model']})", [
        ("simulations", f"{num(result['n_simulations'])} ({num(result.get('n_valid'))} valid)"),
        ("mean", result.get("mean")), ("std", result.get("std")),
        ("standard error", result.get("standard_error")),
        ("min", result.get("min")), ("max", result.get("max")),
        ("seed", result.get("seed")), ("shards", result.get("shards")),
        ("compute (s)", result.get("compute_seconds"))])]
    quantiles = result.get("quantiles") or {}
    if quantiles:
        method = result.get("quantile_method")
        q = table(f"Quantiles{f' ({method})' if method else ''}", "quantile", "value")
        for name in sorted(quantiles, key=lambda k: float(k.lstrip("p"))):
            q.add_row(name, num(quantiles[name]))
        out.append(q)
    risk = result.get("risk") or {}
    if risk.get("levels"):
        r = table("Value at risk", "level", "VaR", "CVaR")
        for level, values in risk["levels"].items():
            r.add_row(f"{level}%", num(values.get("var")), num(values.get("cvar")))
        out += [r, Text(risk.get("convention") or "", style="dim")]
    if result.get("thresholds"):
        crossing = "p_hit_above" in result["thresholds"][0]
        th = table("Thresholds", "threshold", "P(above)", "P(below)",
                   *(["P(ever above)", "P(ever below)"] if crossing else []))
        for row in result["thresholds"]:
            th.add_row(f"{row['threshold']:g}", pct(row.get("p_above")), pct(row.get("p_below")),
                       *([pct(row.get("p_hit_above")), pct(row.get("p_hit_below"))]
                         if crossing else []))
        out.append(th)
    return out + monte_carlo_pricing(result)


def monte_carlo_pricing(result: dict) -> Renderables:
    """Barrier, control variate and Greeks of a priced payoff, when the result has them."""
    out: Renderables = []
    barrier, cv = result.get("barrier"), result.get("control_variate")
    if barrier or cv or result.get("sampling") == "sobol":
        touched = (barrier or {}).get("p_touched") or {}
        out.append(facts("Pricing", [
            ("sampling", result.get("sampling")),
            ("barrier", barrier and f"{barrier['kind']} at {barrier['level']:g} "
                                    f"({barrier['monitoring']})"),
            ("P(barrier touched)", touched.get("value")),
            ("control variate", cv and f"{cv['control']}, β {num(cv['beta'])}"),
            ("mean without it", cv and cv.get("sample_mean")),
            ("variance reduction", cv and cv.get("variance_reduction"))]))
    greeks = result.get("greeks") or {}
    if greeks:
        g = table("Greeks", "greek", "method", "value", "standard error")
        for greek, methods in greeks.items():
            for method, estimate in methods.items():
                g.add_row(greek, method.replace("_", " "), num(estimate.get("value")),
                          num(estimate.get("standard_error")))
        out.append(g)
    return out


def ingest(result: dict, job: dict) -> Renderables:
    t = Table(title=f"Ingested into {result['collection']['name']}", title_justify="left")
    for column in ("file", "status", "document id", "chunks (new)", "reason"):
        t.add_column(column, overflow="fold")
    for doc in result["documents"]:
        ok = doc["status"] == "ingested"
        t.add_row(doc.get("filename") or doc.get("title") or str(doc["index"]),
                  doc["status"], doc.get("document_id") or "",
                  f"{doc['chunks_total']} ({doc['chunks_added']})" if ok else "",
                  "" if ok else f"{doc['reason']}: {doc['message']}")
    totals = result["totals"]
    return [t, Text(f"{totals['ingested']} of {totals['documents']} documents ingested, "
                    f"{totals['chunks_added']} new chunks; the collection has "
                    f"{result['collection']['chunk_count']} chunks")]


def clock(seconds: float | None) -> str:
    whole = int(seconds or 0)
    return f"{whole // 60}:{whole % 60:02d}"


def youtube(result: dict, job: dict) -> Renderables:
    timeline = result.get("sentiment") or {}
    indexed = result.get("ingest") or {}
    out: Renderables = [facts(f"YouTube video {result['video_id']}", [
        ("url", result.get("url")), ("language", result.get("language")),
        ("transcript", f"{result.get('segments')} segments, "
                       f"{clock(result.get('duration_seconds'))}"),
        ("collection", f"{result.get('collection')}"
                       + (f" ({num(indexed['chunks_added'])} new chunks)"
                          if "chunks_added" in indexed else "")),
        ("mean sentiment", f"{timeline['mean']:+.3f}" if "mean" in timeline else None)])]
    points = timeline.get("points") or []
    if points:
        t = table("Sentiment over time", "from", "to", "mean", "label",
                  caption=more(ROWS, len(points), "windows"), text=(3,))
        for p in points[:ROWS]:
            t.add_row(clock(p["start"]), clock(p["end"]), f"{p['mean']:+.3f}", p["label"])
        out.append(t)
    if result.get("summary"):
        out.append(bullets("Summary", (f"[{clock(k.get('start'))}] {k['text']}"
                                       for k in result["summary"])))
    return out


def strategic_analysis(result: dict, job: dict) -> Renderables:
    out: Renderables = [Markdown(result["markdown"])]
    if result.get("citation_problems"):
        out.append(Text(f"{len(result['citation_problems'])} citations could not be verified "
                        "(see --json)", style="yellow"))
    return [*out, *filter(None, [usage_line(result.get("usage"))])]


def summarize(result: dict, job: dict) -> Renderables:
    out: Renderables = [Text("Summary", style="bold"), Text(result["summary"] + "\n")]
    if result.get("key_points"):
        out.append(bullets("Key points", result["key_points"]))
    if result.get("keywords"):
        out.append(Text("Keywords: " + ", ".join(result["keywords"])))
    out.append(Text(f"{result.get('method', '')} summary by the {result.get('backend', '?')} "
                    "backend", style="dim"))
    return [*out, *filter(None, [usage_line(result.get("usage"))])]


def topics(result: dict, job: dict) -> Renderables:
    out = table(f"{result['k']} topics in {result['count']:,} texts ({result['method']}, seed "
                f"{result['seed']}; {result['outliers']:,} outliers)",
                "topic", "size", "label", "first representative", text=(2, 3))
    for topic in result["topics"]:
        first = (topic.get("representatives") or [{}])[0]
        out.add_row(str(topic["id"]), num(topic["size"]), topic["label"],
                    shorten(first.get("text", ""), 60))
    return [out]


def smoke(result: dict, job: dict) -> Renderables:
    return [facts("Smoke test", result.items())]


RENDERERS: dict[str, Callable[[dict, dict], Renderables]] = {
    "sentiment": sentiment, "forecast": forecast, "scenario_forecast": scenario_forecast,
    "anomaly": anomaly,
    "monte_carlo": monte_carlo, "ingest": ingest, "youtube": youtube,
    "strategic_analysis": strategic_analysis, "summarize": summarize, "smoke": smoke,
    "topics": topics,
}


def render(job: dict, result: Any) -> Renderables:
    """The renderables of ``job``'s result; JSON for a workflow or shape without a renderer."""
    renderer = RENDERERS.get(job.get("workflow", ""))
    if renderer is not None and isinstance(result, dict):
        try:
            return renderer(result, job)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            pass  # not the shape this renderer knows: the JSON below shows all of it
    return [JSON(json.dumps(result, default=str))]


def job_facts(job: dict) -> Table:
    """What ran and how it ended: state, steps, attempts, times and the error."""
    progress = job.get("progress") or {}
    error = job.get("error") or {}
    seconds = duration(job)
    current = progress.get("current_step") if job.get("state") == "running" else None
    return facts(f"{job.get('workflow')} job", [
        ("id", job.get("id")),
        ("state", job.get("state")),
        ("steps", f"{progress.get('done', 0)}/{progress.get('total', 0)}"
                  + (f" (now {current})" if current else "")),
        ("attempts", job.get("attempts")),
        ("created", when(job.get("created_at"))),
        ("started", when(job["started_at"]) if job.get("started_at") else None),
        ("finished", when(job["finished_at"]) if job.get("finished_at") else None),
        ("duration", f"{seconds:.1f} s" if seconds is not None and job.get("finished_at")
         else None),
        ("error", f"{error.get('type')}: {error.get('message')} (step {error.get('step')})"
         if error else None)])

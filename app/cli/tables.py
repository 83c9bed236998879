"""Building blocks of the CLI's result summaries: numbers rounded for reading, tables with
numbers right-aligned, titled lists, a job's LLM usage."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from rich.table import Table
from rich.text import Text

ROWS = 20  # rows of a long table (fan-chart steps, timeline windows)
TEXT_WIDTH = 70  # characters of a text quoted in a table


def num(value: Any, digits: int = 4) -> str:
    """A number rounded to ``digits`` significant digits (whole numbers with separators)."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value) or value == 0:
        return f"{value:g}"
    if abs(value) < 1e-3:  # no run of zeros: 0.0002, 2e-05
        return f"{value:.{digits}g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def shorten(text: str, width: int = TEXT_WIDTH) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[:width - 1].rstrip() + "…"


def table(title: str | None, *columns: str, caption: str | None = None,
          text: tuple[int, ...] = (0,)) -> Table:
    """A table whose columns are numbers (right-aligned) except those at ``text``."""
    out = Table(title=title, caption=caption, title_justify="left", caption_justify="left",
                min_width=len(title or ""))
    for i, column in enumerate(columns):
        out.add_column(column, justify="left" if i in text else "right")
    return out


def facts(title: str | None, rows: Iterable[tuple[str, Any]]) -> Table:
    """Two columns of name and value, leaving out values that are missing."""
    out = Table(title=title, show_header=False, title_justify="left", min_width=len(title or ""))
    out.add_column(style="bold")
    out.add_column()
    for name, value in rows:
        if value is not None:
            out.add_row(name, value if isinstance(value, str) else num(value))
    return out


def more(shown: int, total: int, what: str) -> str | None:
    return f"{total - shown} more {what} with --json" if total > shown else None


def bullets(title: str, lines: Iterable[str]) -> Table:
    """A titled list whose long items wrap under themselves, not under the bullet."""
    out = Table.grid(padding=(0, 1))
    out.title, out.title_justify, out.title_style = title, "left", "bold"
    out.add_column(width=3, justify="right")
    out.add_column()
    for line in lines:
        out.add_row("•", line)
    return out


def usage_line(usage: dict | None) -> Text | None:
    """LLM calls, tokens and cost of a job, when it made any."""
    if not usage or not usage.get("calls"):
        return None
    models = ", ".join(usage.get("by_model") or {})
    cost = usage.get("cost_usd")
    calls = f"{usage['calls']} call{'s' if usage['calls'] != 1 else ''}"
    return Text(f"LLM usage: {calls} ({models}), {num(usage.get('input_tokens'))}"
                f" input and {num(usage.get('output_tokens'))} output tokens"
                + (f", ${cost:.4f}" if isinstance(cost, (int, float)) else ""), style="dim")

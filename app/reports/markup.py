"""Untrusted text in Markdown, shown as the text it is.

Questions, document titles, chunk text, model output, series names and error messages reach
reports that are rendered as Markdown (and, in the dashboard, as HTML): a ``<script>``, an
``<iframe srcdoc>``, an image that is really a tracking pixel or a ``javascript:`` link in any
of them must stay text. Every builder of Markdown puts such values in through these functions
and writes nothing else but its own syntax; the only HTML DIA3 writes is ``anchor``.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Emphasis, code, links and images, tables, headings, math ($, in Streamlit), and the
# backslash itself. CommonMark allows a backslash before any ASCII punctuation.
_BACKSLASHED = frozenset("\\`*_~[]|#$")
_ESCAPES = {c: "\\" + c for c in _BACKSLASHED} | _ENTITIES
# Markers that start a block when a value opens a line or a list item: "- x", "+ x", "1. x",
# "2) x", "---". Anything else at the start is escaped by the table above already.
_BULLET = re.compile(r"^([-+])(?=\s|-|$)")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_ANCHOR_ID = re.compile(r"[a-z0-9-]+")
_OWN_HTML = re.compile(r'<a id="[a-z0-9-]+"></a>')
_URL_SAFE = ":/?#@!$&'*+,;=%-._~"


def inline(value: object) -> str:
    """``value`` as literal inline Markdown: whitespace (newlines too) becomes single spaces,
    so it cannot start a block, and every character Markdown or HTML would act on is
    escaped."""
    flat = " ".join(str(value).split())
    escaped = "".join(_ESCAPES.get(c, c) for c in flat)
    return _ORDERED.sub(r"\1\\\2", _BULLET.sub(r"\\\1", escaped))


def paragraphs(value: object) -> str:
    """``value`` as literal Markdown paragraphs: blank lines still separate paragraphs, each
    one is ``inline``."""
    parts = (inline(part) for part in re.split(r"\n\s*\n", str(value)))
    return "\n\n".join(part for part in parts if part)


def code(value: object) -> str:
    """``value`` as an inline code span (literal by nature) that its own backticks cannot
    close."""
    flat = " ".join(str(value).split())
    if not flat:
        return ""
    fence = "`" * (max(map(len, re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat[0] == "`" or flat[-1] == "`" else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def fenced(text: str, info: str = "") -> str:
    """``text`` as a fenced code block whose fence no line of the text can close."""
    fence = "`" * max(3, max(map(len, re.findall(r"`+", text)), default=0) + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def link(label: object, url: object) -> str:
    """A link to an ``http(s)`` address; any other scheme (``javascript:``, ``data:``, …) or
    no address gives the label alone, as text."""
    target = str(url or "").strip()
    if urlsplit(target).scheme.lower() not in ("http", "https"):
        return inline(label)
    return f"[{inline(label)}]({quote(target, safe=_URL_SAFE)})"


def anchor(name: str) -> str:
    """An empty HTML anchor that in-report links (``(#name)``) jump to: the one piece of HTML
    DIA3 writes into Markdown."""
    if not _ANCHOR_ID.fullmatch(name):
        raise ValueError(f"not an anchor name: {name!r}")
    return f'<a id="{name}"></a>'


def only_own_html(markdown: str) -> str:
    """Markdown about to be rendered with raw HTML allowed, left with DIA3's anchors as its
    only HTML and with no image that would load: a report stored before its fields were
    escaped cannot run script or fetch from elsewhere. Idempotent on escaped Markdown."""
    parts, start = [], 0
    for own in _OWN_HTML.finditer(markdown):
        parts += [_disarm(markdown[start:own.start()]), own.group()]
        start = own.end()
    return "".join(parts + [_disarm(markdown[start:])])


def _disarm(text: str) -> str:
    return text.replace("<", "&lt;").replace("![", "!\\[")

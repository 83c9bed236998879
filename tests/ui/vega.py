"""What a Vega-Lite chart on the page actually drew, read from its SVG in the browser.

Streamlit renders each chart with vega-embed as SVG, and Vega labels what it draws for
screen readers: every axis says its title and domain ("Y-axis titled 'texts' for a linear
scale with values from 0 to 3"), every mark item the data behind it ("label: positive;
texts: 2"). ``charts(page)`` gathers that with each element's box on the screen, so a test
can check the picture itself — bars rising from zero, labels apart, a line with so many
points — rather than that a chart element exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import Page

_READ = """() => [...document.querySelectorAll('.vega-embed svg.marks')].map(svg => {
  const box = el => { const r = el.getBoundingClientRect();
                      return [r.x, r.y, r.width, r.height]; };
  const title = svg.querySelector('.role-title-text text');
  return {
    title: title ? title.textContent : '',
    axes: [...svg.querySelectorAll('g.role-axis[aria-roledescription="axis"]')].map(a => ({
      label: a.getAttribute('aria-label') || '',
      ticks: [...a.querySelectorAll('.role-axis-label text')].map(t => [t.textContent, box(t)]),
    })),
    layers: [...svg.querySelectorAll('g.role-mark')].map(g => ({
      mark: ((g.getAttribute('class') || '').match(/mark-(\\w+)/) || [, ''])[1],
      items: [...g.children].filter(el => el.getAttribute('role') === 'graphics-symbol')
        .map(el => ({label: el.getAttribute('aria-label') || '', box: box(el),
                     d: el.getAttribute('d') || '', text: el.textContent || ''})),
    })),
  };
})"""
_AXIS = re.compile(r"^(?P<orient>[XY])-axis titled '(?P<title>.*)' for a \w+ scale with values "
                   r"from (?P<low>\S+) to (?P<high>\S+)")


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Box) -> bool:
        return (self.x < other.x + other.width and other.x < self.x + self.width
                and self.y < other.bottom and other.y < self.bottom)


@dataclass
class Item:
    """One drawn thing: a bar, a rule, a text, a whole line or area."""

    data: dict[str, str]
    box: Box
    path: str
    text: str

    @property
    def vertices(self) -> int:
        """Points of a line or area path (``M`` then one ``L`` per further point)."""
        return len(re.findall(r"[ML]", self.path))


@dataclass
class Axis:
    orient: str  # "x" or "y"
    title: str
    low: float
    high: float
    ticks: list[tuple[str, Box]] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    axes: list[Axis]
    layers: list[tuple[str, list[Item]]]

    def axis(self, orient: str) -> Axis:
        [found] = [a for a in self.axes if a.orient == orient]
        return found

    def marks(self, mark: str) -> list[Item]:
        """Every item of every layer of one mark type (rect, rule, text, line, area,
        symbol)."""
        return [item for kind, items in self.layers if kind == mark for item in items]


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("−", "-"))


def _data(label: str) -> dict[str, str]:
    pairs = (part.split(": ", 1) for part in label.split("; ") if ": " in part)
    return {key.strip(): value.strip() for key, value in pairs}


def _chart(raw: dict) -> Chart:
    axes = []
    for axis in raw["axes"]:
        m = _AXIS.match(axis["label"])
        if m:
            axes.append(Axis(m["orient"].lower(), m["title"], _number(m["low"]),
                             _number(m["high"]),
                             [(text, Box(*box)) for text, box in axis["ticks"]]))
    layers = [(layer["mark"], [Item(_data(i["label"]), Box(*i["box"]), i["d"], i["text"])
                               for i in layer["items"]]) for layer in raw["layers"]]
    return Chart(raw["title"], axes, layers)


def charts(page: Page) -> list[Chart]:
    """Every chart drawn on the page, in page order."""
    return [_chart(raw) for raw in page.evaluate(_READ)]


def chart(page: Page, title: str, prefix: bool = False, timeout: float = 30_000) -> Chart:
    """The chart titled ``title`` (with ``prefix``, whose title starts so), once it is
    drawn."""
    page.wait_for_function(
        """([title, prefix]) => [...document.querySelectorAll(
             '.vega-embed .role-title-text text')].some(t => prefix
               ? t.textContent.startsWith(title) : t.textContent === title)""",
        arg=[title, prefix], timeout=timeout)
    [found] = [c for c in charts(page)
               if (c.title.startswith(title) if prefix else c.title == title)]
    return found

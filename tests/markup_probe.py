"""Hostile text for the report builders, and Markdown rendered the way the dashboard renders a
report (CommonMark with GFM tables, raw HTML allowed), so tests see which elements it makes."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt

# Raw HTML that runs script or fetches, Markdown images and links, and block syntax that would
# break out of a line, a list item or a table cell.
HOSTILE = ('<iframe srcdoc="<script>parent.__x=1</script>"></iframe>'
           '<img src="http://evil.invalid/raw.png" onerror="window.__x=2"> '
           '![pixel](http://evil.invalid/md.png) [click](javascript:window.__x=3) '
           '<script>window.__x=4</script> <http://evil.invalid/auto> &amp; '
           '`tick` | pipe *em* _u_ ~~s~~ $x$\n\n# heading\n- item\n```\nfence\n'
           '[ref]: http://evil.invalid/ref.png\n![ref][ref] \\')


def flat(text: str) -> str:
    """``text`` as it reads once escaped into one line of Markdown."""
    return " ".join(text.split())


@dataclass
class Rendered:
    tags: list[tuple[str, dict]] = field(default_factory=list)
    text: str = ""

    def named(self, *names: str) -> list[dict]:
        return [attrs for tag, attrs in self.tags if tag in names]


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Rendered()

    def handle_starttag(self, tag, attrs):
        self.out.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.out.text += data


def render(markdown: str) -> Rendered:
    """The elements and the text of ``markdown`` rendered with raw HTML allowed."""
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    collect = _Collect()
    collect.feed(parser.render(markdown))
    collect.close()
    collect.out.text = collect.out.text.strip()
    return collect.out


def assert_inert(markdown: str, links: tuple[str, ...] = ("#evidence-",)) -> Rendered:
    """Nothing in ``markdown`` loads or runs, and its links go only where ``links`` (address
    prefixes) allow: by default to DIA3's own anchors."""
    out = render(markdown)
    assert not out.named("script", "iframe", "img", "svg", "object", "embed", "style", "link")
    assert not [a for tag, a in out.tags if any(k.startswith("on") for k in a)]
    hrefs = [a.get("href", "") for a in out.named("a")]
    assert all(h.startswith(links) for h in hrefs if h), hrefs
    return out

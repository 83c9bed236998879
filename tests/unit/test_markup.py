"""Untrusted text escaped into Markdown stays the text it was: no element, link or image comes
out of it, wherever in a report it is put."""

import pytest

from app.reports import markup as md
from tests.markup_probe import HOSTILE, assert_inert, flat, render

BLOCK_STARTS = ["- item", "+ item", "-", "---", "1. first", "2) second", "# title",
                "> quote", "    indented", "| a | b |", "```", "~~~", "[x]: http://evil.invalid",
                "<div>", "***", "___", "=== "]


def tags(markdown: str) -> list[str]:
    return [tag for tag, _ in render(markdown).tags]


def test_hostile_text_inline_is_one_paragraph_of_the_same_text():
    out = assert_inert(md.inline(HOSTILE))
    assert [tag for tag, _ in out.tags] == ["p"]
    assert flat(out.text) == flat(HOSTILE)


@pytest.mark.parametrize("value", BLOCK_STARTS)
def test_text_that_looks_like_a_block_starts_none(value):
    for template in ("{}", "- {}", "1. {}", "**x** {}"):
        out = render(template.format(md.inline(value)))
        assert flat(out.text).endswith(flat(value)), (template, out)
        assert tags(template.format(md.inline(value))) == tags(template.format("plain"))


def test_a_value_stays_in_its_table_cell():
    row = f"| {md.inline('a | b')} | {md.inline(HOSTILE)} |"
    out = assert_inert(f"| one | two |\n|---|---|\n{row}")
    assert [tag for tag, _ in out.tags].count("td") == 2
    assert flat(HOSTILE) in flat(out.text) and "a | b" in out.text


def test_numbers_and_plain_words_read_as_they_are():
    assert md.inline("-0.25") == "-0.25"
    assert md.inline("2024-05-01 10:00") == "2024-05-01 10:00"
    assert md.inline("sales (EUR), 12.5%") == "sales (EUR), 12.5%"
    assert md.inline("line\none") == "line one"


def test_paragraphs_keep_their_breaks_and_nothing_else():
    out = assert_inert(md.paragraphs("first\nline\n\n# second\n\n" + HOSTILE))
    assert [tag for tag, _ in out.tags] == ["p", "p", "p", "p"]
    assert flat(out.text) == flat("first line # second " + HOSTILE)


@pytest.mark.parametrize("value", ["abc123", "a ` b", "`x`", "``a``b`", "<b>x</b>"])
def test_code_spans_are_closed_only_by_their_own_fence(value):
    out = render(f"id {md.code(value)} end")
    assert [tag for tag, _ in out.tags] == ["p", "code"]
    assert flat(out.text) == f"id {value} end"


def test_fenced_blocks_cannot_be_closed_by_their_text():
    text = 'x\n```\n<img src="http://evil.invalid/p.png">\n````'
    out = render(md.fenced(text, "json") + "\n\nafter")
    assert [tag for tag, _ in out.tags] == ["pre", "code", "p"]
    assert out.text.startswith(text)


def test_links_go_only_to_http_addresses_and_their_url_cannot_break_out():
    out = render(md.link("1:15", "https://www.youtube.com/watch?v=abc&t=75s"))
    assert out.named("a") == [{"href": "https://www.youtube.com/watch?v=abc&t=75s"}]
    out = assert_inert(md.link("x", "javascript:window.__x=1"))
    assert not out.named("a") and out.text == "x"
    for url in ("data:text/html,<script>1</script>", "JaVa\tScript:alert(1)", "", None,
                "//evil.invalid/p.png"):
        assert not render(md.link("x", url)).named("a")
    out = render(md.link("[x]", "http://a.test/b) ![p](http://evil.invalid/p.png) <c>"))
    assert not out.named("img")
    [a] = out.named("a")
    assert a["href"].startswith("http://a.test/b%29%20!%5Bp%5D") and out.text == "[x]"


def test_anchors_are_the_only_html_and_take_only_plain_names():
    assert md.anchor("evidence-3") == '<a id="evidence-3"></a>'
    for bad in ('x" onmouseover="y', "a b", "<script>"):
        with pytest.raises(ValueError):
            md.anchor(bad)


def test_own_html_only_leaves_old_unescaped_reports_inert_with_their_anchors():
    html_and_images = HOSTILE.split("```")[0]  # an unclosed fence would swallow the rest
    legacy = ("# Strategic analysis: " + html_and_images + "\n\nSee [[1]](#evidence-1)\n\n"
              '<a id="evidence-1"></a>**[1]** <img src=x onerror="window.__x=5"> '
              '<svg onload="window.__x=6"> ![p](http://evil.invalid/p.png)')
    out = assert_inert(md.only_own_html(legacy))
    assert {"id": "evidence-1"} in out.named("a")
    assert {"href": "#evidence-1"} in out.named("a")
    escaped = md.inline(HOSTILE) + " " + md.anchor("evidence-2")
    assert md.only_own_html(escaped) == escaped

"""What the CLI writes to a terminal from content: Rich markup and emoji codes shown as typed,
control characters and bidirectional overrides dropped, DIA3's own styling and Rich's progress
bars intact."""

from __future__ import annotations

import io
import re

from app.cli import results
from app.cli.output import TerminalConsole, printable, styled

HOSTILE = ["[bold red]boom[/] [link=http://evil.test]click[/link] :smile: awful, terrible",
           "lovely \x1b]0;owned\x07title \x1b[2Jclear \u202eesrever\u202c great"]
# what a terminal console may emit by itself: SGR colours and, for links, nothing else
OWN_SEQUENCE = re.compile(r"\x1b\[[0-9;]*m")


def terminal() -> tuple[TerminalConsole, io.StringIO]:
    out = io.StringIO()
    return TerminalConsole(file=out, force_terminal=True, width=120, color_system="standard"), out


def sentiment_job() -> tuple[dict, dict]:
    items = [{"id": "0", "index": 0, "compound": -0.8, "label": "negative"},
             {"id": "1", "index": 1, "compound": 0.8, "label": "positive"}]
    result = {"count": 2, "mean": 0.0, "items": items,
              "counts": {"negative": 1, "neutral": 0, "positive": 1}}
    return {"workflow": "sentiment", "params": {"texts": HOSTILE}}, result


def test_markup_and_emoji_codes_in_content_are_shown_as_typed():
    console, out = terminal()
    job, result = sentiment_job()
    for renderable in results.render(job, result):
        console.print(renderable)
    plain = OWN_SEQUENCE.sub("", out.getvalue())
    assert "[bold red]boom[/]" in plain
    assert "[link=http://evil.test]click[/link]" in plain
    assert ":smile:" in plain and "😄" not in plain


def test_control_characters_from_content_never_reach_the_terminal():
    console, out = terminal()
    job, result = sentiment_job()
    for renderable in results.render(job, result):
        console.print(renderable)
    console.print(HOSTILE[1])
    written = out.getvalue()
    assert "\x07" not in written and "\u202e" not in written
    assert OWN_SEQUENCE.sub("", written).count("\x1b") == 0
    assert "lovely ]0;ownedtitle [2Jclear esrever great" in OWN_SEQUENCE.sub("", written)


def test_dia3s_own_styles_still_colour_the_line():
    console, out = terminal()
    console.print(styled("job abc ", ("succeeded", "bold")))
    console.print("problem", style="red")
    written = out.getvalue()
    assert "\x1b[1msucceeded" in written and "\x1b[31mproblem" in written


def test_progress_bars_keep_their_cursor_control():
    from rich.progress import Progress
    console, out = terminal()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("sentiment \x1b[2J", total=2)
        progress.update(task, completed=2)
    written = out.getvalue()
    assert "\x1b[2J" not in written
    assert "\x1b[?25l" in written  # Rich hides and shows the cursor around a live bar


def test_messages_click_prints_lose_their_control_characters():
    assert printable("bad field 'x\x1b[31m\u202e'") == "bad field 'x[31m'"

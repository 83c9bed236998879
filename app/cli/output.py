"""What every ``dia3`` command group shares: the consoles it prints on, the REST client it
talks to the API with (errors turned into click's), and how a job's progress and outcome are
shown. Kept apart so the groups depend on it rather than on each other or on ``main``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import click
import requests
from rich.console import Console, ConsoleOptions, RenderableType
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.segment import Segment
from rich.text import Text

from app.runtime import process as runtime

if TYPE_CHECKING:
    from app.client import DIA3Client

P = ParamSpec("P")
T = TypeVar("T")

# C0 and C1 controls (but newline and tab) and the bidirectional overrides that reorder
# what a terminal shows: never written to it from content.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class TerminalConsole(Console):
    """A console that shows whatever it is given as text: no Rich markup or emoji codes are
    read in strings (a text "[link=…]" or ":smile:" in a job is shown as typed), and control
    characters from content (escape sequences that could retitle, relink or clear the
    terminal) are dropped. DIA3's own styling is given as ``Text`` styles, and Rich's own
    cursor movements (progress bars) are control segments that pass untouched."""

    def __init__(self, **kwargs) -> None:
        super().__init__(markup=False, emoji=False, **kwargs)

    def render(self, renderable: RenderableType,
               options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or not UNSAFE_CHARACTERS.search(segment.text):
                yield segment
            else:  # control characters take no cells, so dropping them keeps the layout
                yield Segment(UNSAFE_CHARACTERS.sub("", segment.text), segment.style)


def printable(text: str) -> str:
    """``text`` without the characters a terminal would act on, for messages click prints."""
    return UNSAFE_CHARACTERS.sub("", text)


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line of plain parts and ``(text, style)`` parts, for DIA3's own emphasis."""
    return Text.assemble(*parts)


console = TerminalConsole(stderr=False)
err = TerminalConsole(stderr=True)


# ---- the REST API ------------------------------------------------------------------------
def api_client() -> DIA3Client:
    """A client of the API (DIA3_API_URL, or the one a ``dia3 up`` of this data directory
    serves) with the operator's key (DIA3_API_KEY or the local key ``dia3 up`` made)."""
    from app.client import DIA3Client
    key = runtime.client_key()
    if not key:
        raise click.ClickException("no API key: set DIA3_API_KEY or run `dia3 up` once")
    return DIA3Client(runtime.client_api_url(), key)


def api_call(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` with API errors, an unreachable API, a job that outlasts the
    wait and a file that cannot be read reported as a click error instead of a traceback."""
    from app.client import APIError
    try:
        return fn(*args, **kwargs)
    except APIError as exc:
        detail = json.dumps(exc.body.get("errors") or {}, indent=1)
        raise click.ClickException(printable(f"{exc}\n{detail}" if exc.body.get("errors")
                                             else str(exc)))
    except requests.RequestException as exc:
        raise click.ClickException(f"cannot reach the API at {runtime.client_api_url()}: "
                                   f"{exc.__class__.__name__}")
    except TimeoutError as exc:
        raise click.ClickException(str(exc))
    except OSError as exc:  # e.g. a file to upload
        raise click.ClickException(f"cannot read {exc.filename}: {exc.strerror or exc}")


# ---- jobs ----------------------------------------------------------------------------------
def wait_with_progress(client: DIA3Client, job: dict, timeout: float = 3600,
                       on: Console = console) -> dict:
    """Follow ``job``'s events until it ends, drawing its steps as a progress bar on ``on``;
    the final job."""
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} steps"), TimeElapsedColumn(),
                  console=on, transient=False) as progress:
        task = progress.add_task(f"{job['workflow']} {job['id'][:8]}",
                                 total=job["progress"]["total"] or 1)

        def update(j: dict) -> None:
            progress.update(task, completed=j["progress"]["done"],
                            total=j["progress"]["total"] or 1,
                            description=f"{j['workflow']} {j['id'][:8]} {j['state']}")

        return client.wait(job["id"], timeout=timeout, on_update=update)


def show_outcome(client: DIA3Client, job: dict, as_json: bool = False,
                 output: Path | None = None, facts: bool = False) -> object:
    """A job as the terminal shows it: its state or error (``facts``: also its steps, attempts
    and times) and, once it succeeded, a readable summary of its result. ``as_json`` prints
    the job with its whole result instead (nothing else on stdout); ``output`` saves that
    JSON (or, for a ``.md`` file, the Markdown report). Returns the result (None before the
    job succeeded)."""
    from app.cli import results
    result = api_call(client.result, job["id"])["result"] if job["state"] == "succeeded" \
        else None
    document = {**job, "result": result} if job["state"] == "succeeded" else job
    if output is not None:
        save(output, document, job, result)
    if as_json:
        click.echo(json.dumps(document, indent=2, default=str))
        return result
    if facts:
        console.print(results.job_facts(job))
    else:
        console.print(styled(f"job {job['id']} ", (job["state"], "bold")))
    if job["state"] == "failed" and not facts:
        e = job.get("error") or {}
        console.print(f"{e.get('type')}: {e.get('message')} (step {e.get('step')})",
                      style="red")
    if job["state"] == "succeeded":
        for renderable in results.render(job, result):
            console.print(renderable)
    return result


def save(path: Path, document: dict, job: dict, result: object) -> None:
    """Write the job and its result to ``path``: the Markdown report for ``.md``, else JSON."""
    from app.reports import job_markdown
    text = job_markdown(job, result) if path.suffix.lower() == ".md" else \
        json.dumps(document, indent=2, default=str) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
    err.print(f"saved {'the report' if path.suffix.lower() == '.md' else 'the job and its result'}"
              f" to {path}")

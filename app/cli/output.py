"""What every ``dia3`` command group shares: the consoles it prints on, the REST client it
talks to the API with (errors turned into click's), and how a job's progress and outcome are
shown. Kept apart so the groups depend on it rather than on each other or on ``main``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.runtime import process as runtime

if TYPE_CHECKING:
    from app.client import DIA3Client

P = ParamSpec("P")
T = TypeVar("T")

console = Console(stderr=False)
err = Console(stderr=True)


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
    """``fn(*args, **kwargs)`` with API errors and an unreachable API reported as a
    one-line click error instead of a traceback."""
    from app.client import APIError
    try:
        return fn(*args, **kwargs)
    except APIError as exc:
        detail = json.dumps(exc.body.get("errors") or {}, indent=1)
        raise click.ClickException(f"{exc}\n{detail}" if exc.body.get("errors") else str(exc))
    except OSError as exc:
        raise click.ClickException(f"cannot reach the API at {runtime.client_api_url()}: "
                                   f"{exc.__class__.__name__}")


# ---- jobs ----------------------------------------------------------------------------------
def wait_with_progress(client: DIA3Client, job: dict, timeout: float = 3600) -> dict:
    """Poll ``job`` until it ends, drawing its steps as a progress bar; the final job."""
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} steps"), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        task = progress.add_task(f"{job['workflow']} {job['id'][:8]}",
                                 total=job["progress"]["total"] or 1)

        def update(j: dict) -> None:
            progress.update(task, completed=j["progress"]["done"],
                            total=j["progress"]["total"] or 1,
                            description=f"{j['workflow']} {j['id'][:8]} {j['state']}")

        return client.wait(job["id"], timeout=timeout, on_update=update)


def print_summary(client: DIA3Client, job: dict) -> None:
    """A finished job's state, and its error or its result (sentiment as tables)."""
    console.print(f"job {job['id']} [bold]{job['state']}[/]")
    if job["state"] == "failed":
        e = job.get("error") or {}
        console.print(f"[red]{e.get('type')}: {e.get('message')} (step {e.get('step')})[/]")
        return
    if job["state"] != "succeeded":
        return
    result = client.result(job["id"])["result"]
    if job["workflow"] == "sentiment":
        print_sentiment(result)
    else:
        console.print_json(json.dumps(result)[:20000])


def print_sentiment(result: dict) -> None:
    """A sentiment result: label counts, the trend, and the most negative/positive texts."""
    table = Table(title=f"Sentiment of {result['count']} texts (mean {result['mean']:+.3f})")
    for col in ("label", "count", "share"):
        table.add_column(col)
    for label, count in result["counts"].items():
        table.add_row(label, str(count), f"{count / max(1, result['count']):.1%}")
    console.print(table)
    trend = result.get("trend")
    if trend:
        t = Table(title=f"Trend per {trend['bucket']}")
        for col in ("bucket start", "texts", "mean"):
            t.add_column(col)
        for point in trend["points"][:40]:
            t.add_row(point["start"], str(point["count"]), f"{point['mean']:+.3f}")
        console.print(t)
    ranked = sorted(result["items"], key=lambda i: i["compound"])
    for title, items in (("Most negative", ranked[:3]), ("Most positive", ranked[-3:][::-1])):
        console.print(f"[bold]{title}[/]: " + ", ".join(
            f"{i['id']} ({i['compound']:+.2f})" for i in items))

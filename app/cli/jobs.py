"""``dia3 submit`` and ``dia3 jobs``: jobs through the REST API, so they work against any DIA3
deployment the CLI can reach. Every ``jobs`` command takes a job id or any unique start of
one (the 8 characters the CLI prints)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich import box
from rich.table import Table

from app.cli.job_ids import resolve
from app.cli.output import (
    api_call,
    api_client,
    console,
    err,
    printable,
    show_outcome,
    wait_with_progress,
)
from app.cli.params import read_jsonl, read_params
from app.reports import when

as_json_option = click.option("--json", "as_json", is_flag=True,
                              help="Print the job and its whole result as JSON (nothing else)")
output_option = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                             default=None, help="Save the job and its whole result as JSON to "
                                                "this file (a .md file: the Markdown report)")


@click.command()
@click.argument("workflow", required=False)
@click.option("--params-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file with the params")
@click.option("--text", "texts", multiple=True, help="A text (repeatable; for sentiment)")
@click.option("--idempotency-key", default=None)
@click.option("--batch", "batch_file", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path),
              help="JSON Lines file of jobs, one {workflow, params, idempotency_key?} a line, "
                   "submitted in bulk (instead of WORKFLOW)")
@click.option("--wait", is_flag=True, help="Show progress until the job ends, then its result")
@as_json_option
@output_option
def submit(workflow: str | None, params_file: Path | None, texts: tuple[str, ...],
           idempotency_key: str | None, batch_file: Path | None, wait: bool, as_json: bool,
           output: Path | None) -> None:
    """Submit a job; with --wait, follow it and show its result. With --batch, submit every
    job of a JSON Lines file and show what became of each."""
    if batch_file:
        given = {"WORKFLOW": workflow, "--params-file": params_file, "--text": texts,
                 "--idempotency-key": idempotency_key, "--wait": wait, "--output": output}
        single = [name for name, value in given.items() if value]
        if single:
            raise click.UsageError(f"--batch takes its jobs from the file: not with "
                                   f"{', '.join(single)}")
        submit_batch(batch_file, as_json)
        return
    if not workflow:
        raise click.UsageError("name a WORKFLOW (or give --batch FILE.jsonl)")
    if output and not wait:
        raise click.UsageError("--output saves the result: use it with --wait")
    params: dict = read_params(params_file) if params_file else {}
    if texts:
        params["texts"] = list(texts)
    client = api_client()
    job = api_call(client.submit, workflow, params, idempotency_key)
    messages = err if as_json else console
    messages.print(f"submitted job {job['id']} ({job['state']})")
    if not wait:
        if as_json:
            show_outcome(client, api_call(client.job, job["id"]), as_json)
        return
    try:
        job = api_call(wait_with_progress, client, job, on=messages)
    except KeyboardInterrupt:
        err.print(f"stopped waiting; the job goes on: dia3 jobs show {job['id'][:8]}")
        sys.exit(130)
    show_outcome(client, job, as_json, output)
    if job["state"] != "succeeded":
        sys.exit(1)


def submit_batch(path: Path, as_json: bool) -> None:
    """Submit the jobs of a JSON Lines file; a table (or JSON) of each line's outcome. Exits
    1 when any job was refused."""
    lines = read_jsonl(path)
    answer = api_call(api_client().submit_many, [job for _, job in lines])
    if as_json:
        click.echo(json.dumps(answer.to_dict(), indent=2))
    else:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        table.add_column("line", justify="right", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("job", no_wrap=True, min_width=32)
        table.add_column("error")
        for item in answer.items:
            number = str(lines[item.index][0])
            if item.ok:
                table.add_row(number, str(item.status), item.job["id"], "")
            else:
                table.add_row(number, str(item.status), "", printable(error_text(item.error)))
        console.print(table)
        console.print(f"{answer.created} created, {answer.replayed} already submitted "
                      f"(idempotency key), {answer.failed} refused")
    if answer.failed:
        sys.exit(1)


def error_text(error: dict) -> str:
    """An item's error as one line: its message, then each field's first complaint."""
    fields = [f"{path}: {message}" for path, message in _field_errors(error.get("errors"))]
    return "; ".join([error.get("message", ""), *fields[:5]])


def _field_errors(errors: object, path: str = "") -> list[tuple[str, str]]:
    if isinstance(errors, list):
        return [(path or "(body)", str(errors[0]))] if errors else []
    if isinstance(errors, dict):
        return [found for key, value in errors.items()
                for found in _field_errors(value, f"{path}.{key}" if path else str(key))]
    return [(path or "(body)", str(errors))]


@click.group()
def jobs() -> None:
    """List, show, cancel, retry and delete jobs (by id or any unique start of one)."""


@jobs.command("list")
@click.option("--state", default=None)
@click.option("--workflow", default=None)
@click.option("--limit", type=int, default=20)
@click.option("--parent", "parent", default=None, metavar="JOB_ID",
              help="Only the child jobs of this job (a pipeline's stages)")
def jobs_list(state: str | None, workflow: str | None, limit: int, parent: str | None) -> None:
    client = api_client()
    parent_id = resolve(client, parent) if parent else None
    page = api_call(client.jobs, state=state, workflow=workflow, limit=limit,
                    parent_id=parent_id)
    # An id is never cut, however narrow the terminal: only the time folds (onto two lines).
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    table.add_column("id", no_wrap=True, min_width=32)
    table.add_column("workflow", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("created (UTC)", min_width=10)
    for job in page["items"]:
        p = job["progress"]
        progress = "" if job["state"] == "succeeded" else f" {p['done']}/{p['total']}"
        table.add_row(job["id"], job["workflow"], job["state"] + progress,
                      when(job["created_at"]).removesuffix(" UTC"))
    console.print(table)
    if page.get("next_cursor"):
        console.print(f"(the newest {len(page['items'])}; more with --limit)")


@jobs.command("show")
@click.argument("job_id")
@as_json_option
@output_option
def jobs_show(job_id: str, as_json: bool, output: Path | None) -> None:
    """A job's state, steps and times, and its result as a readable summary."""
    client = api_client()
    job = api_call(client.job, resolve(client, job_id))
    show_outcome(client, job, as_json, output, facts=True)


@jobs.command("cancel")
@click.argument("job_id")
def jobs_cancel(job_id: str) -> None:
    client = api_client()
    job = api_call(client.cancel, resolve(client, job_id))
    console.print(f"job {job['id']} {job['state']}")


@jobs.command("retry")
@click.argument("job_id")
def jobs_retry(job_id: str) -> None:
    """Run a failed or cancelled job again from its failed step."""
    client = api_client()
    job = api_call(client.retry, resolve(client, job_id))
    console.print(f"job {job['id']} {job['state']} (attempt {job['attempts']})")


@jobs.command("delete")
@click.argument("job_id")
def jobs_delete(job_id: str) -> None:
    client = api_client()
    full_id = resolve(client, job_id)
    api_call(client.delete, full_id)
    console.print(f"job {full_id} deleted")


COMMANDS = (submit, jobs)

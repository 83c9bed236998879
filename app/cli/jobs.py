"""``dia3 submit`` and ``dia3 jobs``: jobs through the REST API, so they work against any DIA3
deployment the CLI can reach."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.table import Table

from app.cli.output import api_call, api_client, console, print_summary, wait_with_progress


@click.command()
@click.argument("workflow")
@click.option("--params-file", type=click.Path(exists=True, dir_okay=False),
              help="JSON file with the params")
@click.option("--text", "texts", multiple=True, help="A text (repeatable; for sentiment)")
@click.option("--idempotency-key", default=None)
@click.option("--wait", is_flag=True, help="Show progress until the job ends")
def submit(workflow: str, params_file: str | None, texts: tuple[str, ...],
           idempotency_key: str | None, wait: bool) -> None:
    """Submit a job."""
    params: dict = json.loads(Path(params_file).read_text()) if params_file else {}
    if texts:
        params["texts"] = list(texts)
    client = api_client()
    job = api_call(client.submit, workflow, params, idempotency_key)
    console.print(f"submitted job {job['id']} ({job['state']})")
    if wait:
        job = api_call(wait_with_progress, client, job)
        api_call(print_summary, client, job)
        if job["state"] != "succeeded":
            sys.exit(1)


@click.group()
def jobs() -> None:
    """List, show, cancel and delete jobs."""


@jobs.command("list")
@click.option("--state", default=None)
@click.option("--workflow", default=None)
@click.option("--limit", type=int, default=20)
def jobs_list(state: str | None, workflow: str | None, limit: int) -> None:
    page = api_call(api_client().jobs, state=state, workflow=workflow, limit=limit)
    table = Table()
    for col in ("id", "workflow", "state", "progress", "created"):
        table.add_column(col)
    for job in page["items"]:
        p = job["progress"]
        table.add_row(job["id"], job["workflow"], job["state"], f"{p['done']}/{p['total']}",
                      job["created_at"])
    console.print(table)


@jobs.command("show")
@click.argument("job_id")
def jobs_show(job_id: str) -> None:
    console.print_json(json.dumps(api_call(api_client().job, job_id)))


@jobs.command("cancel")
@click.argument("job_id")
def jobs_cancel(job_id: str) -> None:
    job = api_call(api_client().cancel, job_id)
    console.print(f"job {job_id} {job['state']}")


@jobs.command("retry")
@click.argument("job_id")
def jobs_retry(job_id: str) -> None:
    """Run a failed or cancelled job again from its failed step."""
    job = api_call(api_client().retry, job_id)
    console.print(f"job {job_id} {job['state']} (attempt {job['attempts']})")


@jobs.command("delete")
@click.argument("job_id")
def jobs_delete(job_id: str) -> None:
    api_call(api_client().delete, job_id)
    console.print(f"job {job_id} deleted")


COMMANDS = (submit, jobs)

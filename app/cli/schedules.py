"""``dia3 schedules``: workflows run on a cron expression or an interval, through the REST
API. Every command but ``create`` and ``list`` takes a schedule id or any unique start of one
among the tenant's schedules."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich import box
from rich.table import Table

from app.cli.output import api_call, api_client, console
from app.cli.params import read_params
from app.client import DIA3Client
from app.reports import when

as_json_option = click.option("--json", "as_json", is_flag=True,
                              help="Print the schedule as JSON (nothing else)")


def resolve(client: DIA3Client, given: str) -> str:
    """The id of the tenant's schedule that ``given`` is, or is the start of."""
    ids = [s["id"] for s in _every(client) if s["id"].startswith(given.lower())]
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise click.ClickException(f"no schedule {given}")
    raise click.ClickException(f"{given} is the start of several schedules: " + ", ".join(ids))


def _every(client: DIA3Client) -> list[dict]:
    found, cursor = [], None
    while True:
        page = api_call(client.schedules, limit=200, cursor=cursor)
        found += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return found


def _every_text(schedule: dict) -> str:
    if schedule.get("cron"):
        return f"{schedule['cron']} ({schedule['timezone']})"
    return f"every {schedule['interval_seconds']} s"


def _show(schedule: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(schedule, indent=2))
        return
    table = Table(box=box.SIMPLE, show_header=False, pad_edge=False)
    for name in ("id", "name", "workflow"):
        table.add_row(name, str(schedule.get(name) or ""))
    table.add_row("when", _every_text(schedule))
    table.add_row("state", "active" if schedule["enabled"] else "paused")
    table.add_row("next run", when(schedule["next_run_at"]) if schedule["next_run_at"] else "-")
    table.add_row("last run", when(schedule["last_run_at"]) if schedule["last_run_at"] else "-")
    table.add_row("last job", schedule.get("last_job_id") or "-")
    table.add_row("overlap / catchup", f"{schedule['overlap']} / {schedule['catchup']}")
    table.add_row("runs", f"{schedule['runs']} (skipped: {schedule['skipped_overlap']} "
                          f"overlapping, {schedule['skipped_missed']} missed; "
                          f"{schedule['errors']} refused)")
    if schedule.get("last_error"):
        table.add_row("last error", schedule["last_error"])
    console.print(table)


@click.group()
def schedules() -> None:
    """Run a workflow on a cron expression or an interval (each run is an ordinary job)."""


@schedules.command("create")
@click.argument("workflow")
@click.option("--params-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file with the params")
@click.option("--cron", default=None, help="Cron expression of 5 fields, e.g. '0 6 * * 1-5'")
@click.option("--every", "interval", type=int, default=None, help="Seconds between runs")
@click.option("--timezone", default=None, help="IANA time zone of --cron (default UTC)")
@click.option("--name", default=None)
@click.option("--overlap", type=click.Choice(["skip", "allow"]), default=None,
              help="skip (default): no run while the previous one is still active")
@click.option("--catchup", type=click.Choice(["none", "one"]), default=None,
              help="one (default): one run for the ticks missed while the beat was down")
@click.option("--paused", is_flag=True, help="Create it paused (resume it later)")
@as_json_option
def schedules_create(workflow: str, params_file: Path | None, cron: str | None,
                     interval: int | None, timezone: str | None, name: str | None,
                     overlap: str | None, catchup: str | None, paused: bool,
                     as_json: bool) -> None:
    """Create a schedule of WORKFLOW with --cron or --every."""
    params = read_params(params_file) if params_file else {}
    client = api_client()
    schedule = api_call(client.create_schedule, workflow, params, cron=cron,
                        interval_seconds=interval, timezone=timezone, name=name,
                        overlap=overlap, catchup=catchup, enabled=False if paused else None)
    _show(schedule, as_json)


@schedules.command("list")
def schedules_list() -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    for column in ("id", "name", "workflow", "when", "state", "next run (UTC)", "runs"):
        table.add_column(column, no_wrap=column == "id", min_width=32 if column == "id" else 0)
    for s in _every(api_client()):
        table.add_row(s["id"], s["name"], s["workflow"], _every_text(s),
                      "active" if s["enabled"] else "paused",
                      when(s["next_run_at"]).removesuffix(" UTC") if s["next_run_at"] else "-",
                      str(s["runs"]))
    console.print(table)


@schedules.command("show")
@click.argument("schedule_id")
@as_json_option
def schedules_show(schedule_id: str, as_json: bool) -> None:
    """A schedule: when it fires next, what its ticks did."""
    client = api_client()
    _show(api_call(client.schedule, resolve(client, schedule_id)), as_json)


def _set_enabled(schedule_id: str, enabled: bool) -> None:
    client = api_client()
    schedule = api_call(client.update_schedule, resolve(client, schedule_id), enabled=enabled)
    state = f"resumed, next run {when(schedule['next_run_at'])}" if enabled else "paused"
    console.print(f"schedule {schedule['id']} {state}")


@schedules.command("pause")
@click.argument("schedule_id")
def schedules_pause(schedule_id: str) -> None:
    """Stop its runs until it is resumed."""
    _set_enabled(schedule_id, False)


@schedules.command("resume")
@click.argument("schedule_id")
def schedules_resume(schedule_id: str) -> None:
    """Run it again from its next tick on (the ticks of the pause are not made up)."""
    _set_enabled(schedule_id, True)


@schedules.command("delete")
@click.argument("schedule_id")
def schedules_delete(schedule_id: str) -> None:
    """Delete it (the jobs it made stay)."""
    client = api_client()
    full_id = resolve(client, schedule_id)
    api_call(client.delete_schedule, full_id)
    console.print(f"schedule {full_id} deleted")


@schedules.command("run")
@click.argument("schedule_id")
def schedules_run(schedule_id: str) -> None:
    """Run its workflow now (an ordinary job, listed with the schedule's)."""
    client = api_client()
    job = api_call(client.run_schedule, resolve(client, schedule_id))
    console.print(f"submitted job {job['id']} ({job['state']})")


COMMANDS = (schedules,)

"""Operator commands that work directly on DIA3's Redis: ``dia3 audit`` and
``dia3 jobs purge``. They act as the ``cli`` actor in the
audit log and print counts only, never a key or its hash."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import click
from rich.console import Console
from rich.table import Table

from app.cli import runtime

console = Console()


def _since(text: str | None) -> float | None:
    """A duration back from now (``24h``) or an ISO 8601 time (UTC if no zone)."""
    if not text:
        return None
    from app.auth.durations import parse_duration
    try:
        return time.time() - parse_duration(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use a duration (24h, 7d) or an ISO time") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


@click.command("audit")
@click.option("--actor", default=None, help="Key id of whoever acted (cli, retention, …)")
@click.option("--tenant", default=None)
@click.option("--action", default=None, help="e.g. job.submit, key.revoke")
@click.option("--target", default=None, help="e.g. job:<id>, key:<id>, collection:<name>")
@click.option("--outcome", type=click.Choice(["ok", "denied", "error"]), default=None)
@click.option("--since", default=None, help="Duration back (24h, 7d) or ISO time")
@click.option("--until", default=None, help="Duration back or ISO time")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line")
def audit_list(actor, tenant, action, target, outcome, since, until, limit, as_json) -> None:
    """List audit entries, newest first (needs access to DIA3's Redis)."""
    runtime.ensure_redis(own=False)
    from app import audit
    page = audit.query(actor=actor, tenant=tenant, action=action, target=target,
                       outcome=outcome, since=_since(since), until=_since(until), limit=limit)
    if as_json:
        for entry in page.items:
            click.echo(json.dumps(entry.to_dict()))
        return
    table = Table()
    for col in ("time", "actor", "tenant", "action", "target", "outcome", "request id"):
        table.add_column(col)
    for e in page.items:
        outcome_text = e.outcome if e.status is None else f"{e.outcome} {e.status}"
        table.add_row(datetime.fromtimestamp(e.time, tz=UTC).strftime("%Y-%m-%d %H:%M:%S"),
                      e.actor, e.tenant, e.action, e.target, outcome_text, e.request_id or "")
    console.print(table)
    if page.next_cursor:
        console.print("(more: narrow with --since/--until or raise --limit)")


@click.command("purge")
@click.option("--older-than", required=True, metavar="DURATION",
              help="Delete jobs that finished longer ago than this (e.g. 30d, 12h)")
def jobs_purge(older_than: str) -> None:
    """Delete finished jobs (succeeded, failed, cancelled) and their results now; queued and
    running jobs are never touched."""
    from app.auth.durations import parse_duration
    try:
        seconds = parse_duration(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from None
    runtime.ensure_redis(own=False)
    from app import audit, retention
    report = retention.purge_and_audit(time.time() - seconds, audit.OPERATOR)
    states = ", ".join(f"{state} {n}" for state, n in report.deleted.items())
    console.print(f"purged {report.total} jobs ({states}); {report.result_files} result "
                  "files removed")


def register(cli: click.Group, jobs: click.Group) -> None:
    cli.add_command(audit_list)
    jobs.add_command(jobs_purge)

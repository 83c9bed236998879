"""Operator commands that work directly on DIA3's Redis (and Chroma): ``dia3 audit``,
``dia3 backup``, ``dia3 restore`` and ``dia3 jobs purge``. They act as the ``cli`` actor in the
audit log and print counts only, never a key or its hash."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import click
from rich import box
from rich.table import Table

from app.cli.output import console
from app.runtime import process as runtime


def _stores(knowledge: bool):
    """(job store, Redis client, Chroma client or None) of this data directory."""
    runtime.ensure_redis()
    from app.extensions import job_store
    from app.redis_client import get_redis
    chroma = None
    if knowledge:
        runtime.ensure_chroma()
        from app.workflows.knowledge import service as kb
        chroma = kb.connect()
    return job_store(), get_redis(), chroma


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
    runtime.ensure_redis()
    from app import audit
    page = audit.query(actor=actor, tenant=tenant, action=action, target=target,
                       outcome=outcome, since=_since(since), until=_since(until), limit=limit)
    if as_json:
        for entry in page.items:
            click.echo(json.dumps(entry.to_dict()))
        return
    # Nothing is cut short in a narrow terminal: the target (a job id, a key id) stays whole,
    # the other columns fold, and the request ids wait for a wide one (or --json).
    wide = console.width >= 120
    columns = ("time", "actor", "tenant", "action", "target", "outcome") + \
        (("request id",) if wide else ())
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    for col in columns:
        table.add_column(col, overflow="fold", no_wrap=col in ("target", "time"),
                         min_width=max((len(e.target) for e in page.items), default=6)
                         if col == "target" else None)
    for e in page.items:
        outcome_text = e.outcome if e.status is None else f"{e.outcome} {e.status}"
        table.add_row(datetime.fromtimestamp(e.time, tz=UTC).strftime(
                          "%Y-%m-%d %H:%M:%S" if wide else "%Y-%m-%d\n%H:%M:%S"),
                      e.actor, e.tenant, e.action, e.target, outcome_text,
                      *((e.request_id or "",) if wide else ()))
    console.print(table)
    if page.next_cursor:
        console.print("(more: narrow with --since/--until or raise --limit)")


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--into", "into", is_flag=True,
              help="PATH is a folder: write dia3-<UTC time>.tar.gz there and delete its "
                   "backups older than DIA3_BACKUP_RETENTION_DAYS (for scheduled runs)")
@click.option("--without-knowledge", is_flag=True,
              help="Leave the knowledge base (Chroma collections) out")
@click.option("--verify", is_flag=True,
              help="Run the restore drill (as `dia3 restore --verify`) on the new backup")
@click.option("--every", type=click.IntRange(min=60), default=None, metavar="SECONDS",
              help="With --into: keep running, one backup now and one every SECONDS (86400 "
                   "for daily) until SIGTERM, for stacks without a cron")
def backup_cmd(path: Path, into: bool, without_knowledge: bool, verify: bool,
               every: int | None) -> None:
    """Back up jobs, results, API keys, the audit log and the knowledge base to PATH (one
    .tar.gz file), while DIA3 runs."""
    if every is not None and not into:
        raise click.BadParameter("--every needs --into: scheduled backups go into a folder",
                                 param_hint="--every")
    if not into and path.is_dir():
        raise click.BadParameter(f"{path} is a folder: give a file, or --into",
                                 param_hint="PATH")
    stores = _stores(not without_knowledge)

    def make(target: Path) -> None:
        _backup_once(target, stores, verify)

    if not into:
        make(path)
    elif every is None:
        _into(path, make)
    else:
        _every(path, make, every)


def _backup_once(path: Path, stores, verify: bool) -> None:
    """One backup to ``path``, its counts printed, then the drill if asked for."""
    from app import backup
    manifest = backup.backup(path, *stores)
    console.print(f"backup written to {path}")
    console.print_json(json.dumps(manifest["counts"]))
    if manifest["missing_result_files"]:
        console.print(f"{len(manifest['missing_result_files'])} jobs had no result "
                      "file in the data directory", style="yellow")
    if verify:
        _drill(path)


def _into(folder: Path, make) -> None:
    """One backup into ``folder``, then its backups older than the retention deleted."""
    from app.backup import schedule
    from app.settings import get_settings
    days = get_settings().backup_retention_days
    _, removed = schedule.into_folder(folder, make, days)
    if removed:
        console.print(f"{len(removed)} backups older than {days} days removed")


def _every(folder: Path, make, seconds: int) -> None:
    """``_into`` now and every ``seconds`` until SIGTERM or SIGINT; the backup in progress
    when one arrives is finished first."""
    import signal
    import threading

    from app.backup import schedule
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGTERM, signal.SIGINT)}
    console.print(f"backing up into {folder} every {seconds} s; SIGTERM stops")
    try:
        runs = schedule.every(seconds, lambda: _into(folder, make), stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print(f"stopped after {runs} backups")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Restore into a DIA3 that already holds jobs, "
              "audit entries or collections: what the backup holds replaces what has the "
              "same id or name, everything else stays")
@click.option("--without-knowledge", is_flag=True,
              help="Leave the knowledge base (Chroma collections) untouched")
@click.option("--verify", is_flag=True, help="A restore drill: restore into a scratch Redis "
              "of its own, compare with the backup's manifest and checksums, report the "
              "recovery point and time; the live DIA3 is not touched")
def restore_cmd(path: Path, force: bool, without_knowledge: bool, verify: bool) -> None:
    """Restore a backup made by `dia3 backup` (the file is verified first)."""
    from app import backup
    if verify:
        _drill(path)
        return
    try:
        report = backup.restore(path, *_stores(not without_knowledge), force=force)
    except (backup.RestoreRefused, backup.BadBackup) as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"restored from {path}")
    console.print_json(json.dumps(report))


def _drill(path: Path) -> None:
    """The restore drill on ``path``: its report printed, a failure is a non-zero exit."""
    from app import backup
    runtime.ensure_redis()  # for the drill's own audit entry
    from app.backup.drill import drill
    from app.crypto.envelope import KeyMissing
    from app.settings import get_settings
    try:
        report = drill(path, get_settings().master_key)
    except (backup.RestoreRefused, backup.BadBackup, ValueError, KeyMissing) as exc:
        raise click.ClickException(str(exc)) from None
    console.print_json(json.dumps(report))
    if not report["ok"]:
        raise click.ClickException(f"the drill found {len(report['problems'])} problems")
    console.print(f"drill passed: restorable, {report['recovery_point_seconds']:.0f} s "
                  f"old, restored in {report['recovery_time_seconds']:.1f} s")


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
    runtime.ensure_redis()
    from app import audit, retention
    report = retention.purge_and_audit(time.time() - seconds, audit.OPERATOR)
    states = ", ".join(f"{state} {n}" for state, n in report.deleted.items())
    console.print(f"purged {report.total} jobs ({states}); {report.result_files} result "
                  "files removed")


COMMANDS = (audit_list, backup_cmd, restore_cmd)
JOBS_COMMANDS = (jobs_purge,)  # under `dia3 jobs`

"""``dia3 tenants``: one tenant's export and erasure, directly on DIA3's Redis and Chroma, as
the ``cli`` operator (audited like the API's)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from app.cli.output import console, err
from app.runtime import process as runtime


@click.group()
def tenants() -> None:
    """Export or erase one tenant's data (needs access to DIA3's Redis and Chroma)."""


def _chroma(knowledge: bool):
    runtime.ensure_redis()
    if not knowledge:
        return None
    runtime.ensure_chroma()
    from app.workflows.knowledge import service as kb
    return kb.connect()


def _refused(exc: Exception) -> click.ClickException:
    from app.errors import InputError
    return click.ClickException(exc.message if isinstance(exc, InputError) else str(exc))


@tenants.command("export")
@click.argument("tenant")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--without-knowledge", is_flag=True, help="Leave the tenant's collections out")
def tenants_export(tenant: str, path: Path, without_knowledge: bool) -> None:
    """Write every job, collection, key (metadata only) and audit entry of TENANT to PATH
    (one .tar.gz archive with a manifest)."""
    chroma = _chroma(not without_knowledge)
    from app.audit import OPERATOR
    from app.errors import InputError
    from app.tenants import service
    try:
        manifest = service.export_tenant(OPERATOR, tenant, path, chroma=chroma,
                                         knowledge=chroma is not None)
    except InputError as exc:
        raise _refused(exc) from None
    console.print(f"tenant {tenant} exported to {path}")
    console.print_json(json.dumps(manifest["counts"]))


@tenants.command("erase")
@click.argument("tenant")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts)")
@click.option("--without-knowledge", is_flag=True,
              help="Leave the knowledge base alone (its collections of TENANT stay)")
def tenants_erase(tenant: str, yes: bool, without_knowledge: bool) -> None:
    """Erase TENANT everywhere: schedules, jobs, results, files, uploads, collections, keys,
    caches; its audit entries are pseudonymised and Redis' and Chroma's files rewritten.
    Irreversible."""
    chroma = _chroma(not without_knowledge)
    from app.audit import OPERATOR
    from app.errors import Conflict, InputError
    from app.tenants import service
    knowledge = chroma is not None
    try:
        request = service.request_erasure(OPERATOR, tenant, chroma=chroma, knowledge=knowledge)
        counts = ", ".join(f"{n} {what}" for what, n in request["will_erase"].items())
        if not yes:
            err.print(f"This erases tenant {tenant} for good ({counts}).")
            typed = click.prompt("Type the tenant's name to confirm", default="",
                                 show_default=False, err=True)
            if typed != tenant:
                raise click.ClickException("not confirmed; nothing was erased")
        report = service.erase_tenant(OPERATOR, tenant, request["confirm"], chroma=chroma,
                                      knowledge=knowledge)
    except (InputError, Conflict) as exc:
        raise _refused(exc) from None
    console.print(f"tenant {tenant} erased (now {report['tenant']} in the audit log)")
    console.print_json(json.dumps(report))


COMMANDS = (tenants,)

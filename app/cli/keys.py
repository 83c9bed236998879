"""``dia3 keys``: API key administration directly on DIA3's Redis, which is how the first keys
are made (before any key could call the API). Changes are audited as the ``cli`` operator."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from app.cli.output import console, err
from app.runtime import process as runtime


@click.group()
def keys() -> None:
    """Create, list and revoke API keys (needs access to DIA3's Redis)."""


def _key_store():
    runtime.ensure_redis()
    from app.extensions import key_store
    return key_store()


def _keys_admin():
    """Key management and the actor it is audited as (``cli``, the operator)."""
    runtime.ensure_redis()
    from app.audit import OPERATOR
    from app.auth import admin
    return admin, OPERATOR


@keys.command("create")
@click.option("--role", type=click.Choice(["admin", "analyst", "viewer"]), required=True)
@click.option("--tenant", required=True)
@click.option("--name", default="")
@click.option("--expires-in", default=None, metavar="DURATION",
              help="Lifetime such as 30d, 12h or 2w (default: never expires)")
def keys_create(role: str, tenant: str, name: str, expires_in: str | None) -> None:
    """Create a key and print it (it is shown only this once)."""
    from app.auth.durations import parse_duration
    try:
        expires_at = time.time() + parse_duration(expires_in) if expires_in else None
        admin, operator = _keys_admin()
        key, principal = admin.create_key(operator, role, tenant, name=name,
                                          expires_at=expires_at)
    except ValueError as exc:
        raise click.ClickException(str(exc))
    err.print(f"key id {principal.key_id} ({role}, tenant {tenant}); store the key now:")
    click.echo(key)


@keys.command("rotate")
@click.argument("key_id")
def keys_rotate(key_id: str) -> None:
    """Give a key a new secret and print it; the old secret stops working at once."""
    admin, operator = _keys_admin()
    try:
        rotated = admin.rotate_key(operator, key_id)
    except admin.KeyNotFound:
        raise click.ClickException(f"no key {key_id}") from None
    err.print(f"key id {key_id} rotated; the old key no longer works. Store the new key now:")
    click.echo(rotated[0])


def _when(epoch: float | None, never: str) -> str:
    if epoch is None:
        return never
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


@keys.command("list")
def keys_list() -> None:
    table = Table()
    for col in ("key id", "role", "tenant", "name", "expires", "last used"):
        table.add_column(col)
    for k in _key_store().list():
        table.add_row(k["key_id"], k["role"], k["tenant"], k["name"],
                      _when(k["expires_at"], "never"), _when(k["last_used_at"], "-"))
    console.print(table)


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    admin, operator = _keys_admin()
    try:
        admin.revoke_key(operator, key_id)
    except admin.KeyNotFound:
        raise click.ClickException(f"no key {key_id}") from None
    console.print(f"key {key_id} revoked")


@keys.command("rotate-master")
@click.option("--new-key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File holding the new master key (base64 of 32 bytes)")
@click.option("--forget-previous", is_flag=True,
              help="After every process runs with the new key: drop the old key's wrappings")
def keys_rotate_master(new_key_file: Path | None, forget_previous: bool) -> None:
    """Rotate the encryption master key online: run with the current key configured and
    --new-key-file; give every process the new key (rolling restart); then run again with
    the new key configured and --forget-previous."""
    if bool(new_key_file) == forget_previous:
        raise click.UsageError("give either --new-key-file or --forget-previous")
    runtime.ensure_redis()
    from app.crypto import rotation
    from app.crypto.envelope import KeyMissing
    from app.crypto.master import master_id, parse_master_key
    from app.extensions import envelope
    try:
        if forget_previous:
            done = rotation.forget_previous(envelope())
            console.print(f"{done} data keys no longer open with the previous master key")
            return
        new = parse_master_key(new_key_file.read_text())
        done = rotation.rotate_master(envelope(), new)
    except (ValueError, KeyMissing) as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"{done} data keys wrapped under master key {master_id(new)} as well. Give "
                  "every DIA3 process the new key, then run `dia3 keys rotate-master "
                  "--forget-previous` with it.")


COMMANDS = (keys,)

"""``dia3 keys``: API key administration directly on DIA3's Redis, which is how the first keys
are made (before any key could call the API). Changes are audited as the ``cli`` operator."""

from __future__ import annotations

import time
from datetime import UTC, datetime

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


COMMANDS = (keys,)

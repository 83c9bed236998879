"""``dia3 webhooks``: receivers of signed job events, through the REST API. Every command but
``create`` and ``list`` takes a webhook id or any unique start of one among the tenant's
webhooks."""

from __future__ import annotations

import json

import click
from rich import box
from rich.table import Table

from app.cli.output import api_call, api_client, console
from app.client import DIA3Client
from app.reports import when

as_json_option = click.option("--json", "as_json", is_flag=True,
                              help="Print the answer as JSON (nothing else)")


def resolve(client: DIA3Client, given: str) -> str:
    """The id of the tenant's webhook that ``given`` is, or is the start of."""
    ids = [h["id"] for h in api_call(lambda: list(client.iter_webhooks(limit=200)))
           if h["id"].startswith(given.lower())]
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise click.ClickException(f"no webhook {given}")
    raise click.ClickException(f"{given} is the start of several webhooks: " + ", ".join(ids))


def _show(hook: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(hook, indent=2))
        return
    table = Table(box=box.SIMPLE, show_header=False, pad_edge=False)
    for name in ("id", "url", "description"):
        table.add_row(name, str(hook.get(name) or ""))
    table.add_row("events", ", ".join(hook["events"]))
    table.add_row("created", when(hook["created_at"]))
    if hook.get("previous_secret_until"):
        table.add_row("old secret signs until", when(hook["previous_secret_until"]))
    console.print(table)
    if hook.get("secret"):
        console.print(f"signing secret (shown only now): {hook['secret']}", soft_wrap=True)


@click.group()
def webhooks() -> None:
    """Have job events POSTed to a URL, signed (Standard Webhooks) and retried."""


@webhooks.command("create")
@click.argument("url")
@click.option("--event", "events", multiple=True,
              help="An event to send: job.queued, job.running, job.progress, job.succeeded, "
                   "job.failed, job.cancelled or job.retried (repeat; default job.succeeded, "
                   "job.failed, job.cancelled)")
@click.option("--description", default=None)
@as_json_option
def webhooks_create(url: str, events: tuple[str, ...], description: str | None,
                    as_json: bool) -> None:
    """Create a webhook that receives job events at URL; prints its secret once."""
    chosen = list(events) or ["job.succeeded", "job.failed", "job.cancelled"]
    client = api_client()
    _show(api_call(client.create_webhook, url, chosen, description), as_json)


@webhooks.command("list")
def webhooks_list() -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    for column in ("id", "url", "events", "description"):
        table.add_column(column, no_wrap=column == "id", min_width=32 if column == "id" else 0)
    client = api_client()
    for hook in api_call(lambda: list(client.iter_webhooks(limit=200))):
        table.add_row(hook["id"], hook["url"], ", ".join(hook["events"]), hook["description"])
    console.print(table)


@webhooks.command("show")
@click.argument("webhook_id")
@as_json_option
def webhooks_show(webhook_id: str, as_json: bool) -> None:
    """A webhook (never its secret)."""
    client = api_client()
    _show(api_call(client.webhook, resolve(client, webhook_id)), as_json)


@webhooks.command("delete")
@click.argument("webhook_id")
def webhooks_delete(webhook_id: str) -> None:
    """Delete it with its deliveries."""
    client = api_client()
    full_id = resolve(client, webhook_id)
    api_call(client.delete_webhook, full_id)
    console.print(f"webhook {full_id} deleted")


@webhooks.command("rotate-secret")
@click.argument("webhook_id")
@as_json_option
def webhooks_rotate(webhook_id: str, as_json: bool) -> None:
    """A new signing secret, printed once; the old one signs too for a grace period."""
    client = api_client()
    _show(api_call(client.rotate_webhook_secret, resolve(client, webhook_id)), as_json)


@webhooks.command("deliveries")
@click.argument("webhook_id")
@click.option("--limit", type=int, default=50, show_default=True)
@as_json_option
def webhooks_deliveries(webhook_id: str, limit: int, as_json: bool) -> None:
    """Its latest deliveries: state, attempts, last answer, next attempt."""
    client = api_client()
    full_id = resolve(client, webhook_id)
    found = api_call(lambda: [d for _, d in zip(range(limit),
                                                client.iter_deliveries(full_id, limit=limit))])
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    for column in ("id", "event", "job", "state", "attempts", "last answer", "next attempt"):
        table.add_column(column, no_wrap=column == "id")
    for d in found:
        answer = str(d["last_status"]) if d.get("last_status") else (d.get("last_error") or "-")
        table.add_row(d["id"], d["event_type"], d["job_id"][:8], d["state"],
                      str(d["attempts"]), answer,
                      when(d["next_attempt_at"]) if d.get("next_attempt_at") else "-")
    console.print(table)


@webhooks.command("redeliver")
@click.argument("webhook_id")
@click.argument("delivery_id")
def webhooks_redeliver(webhook_id: str, delivery_id: str) -> None:
    """Deliver a finished delivery again (same webhook-id, attempts from zero)."""
    client = api_client()
    delivery = api_call(client.redeliver, resolve(client, webhook_id), delivery_id)
    console.print(f"delivery {delivery['id']} {delivery['state']} again")


COMMANDS = (webhooks,)

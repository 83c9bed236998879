"""Webhook operations for every surface: tenant-scoped, role-checked and audited like the
schedule operations (a viewer reads, an analyst or admin changes; an admin reaches every
tenant's webhook by its id). A secret is returned only by the call that makes it: creating
a webhook and rotating its secret."""

from __future__ import annotations

import time
from typing import Any

from app import audit, service
from app.auth.keys import Principal
from app.errors import Conflict
from app.extensions import webhook_store
from app.jobs.store import Page
from app.settings import get_settings
from app.webhooks import addresses, signing
from app.webhooks.store import Delivery, Webhook, new_webhook_id


def check_url(url: str) -> None:
    """422 on ``url`` when DIA3 must not call it (scheme, form, private addresses)."""
    addresses.check(url, get_settings().webhook_allow_private)


def create(principal: Principal, body: dict[str, Any]) -> tuple[Webhook, str]:
    """A new webhook of the caller's tenant and its secret (shown this once). Audited as
    ``webhook.create``."""
    with audit.audited("webhook.create", principal, "webhook:new") as entry:
        service.require_write(principal)
        check_url(body["url"])
        now = time.time()
        hook = Webhook(id=new_webhook_id(), tenant=principal.tenant, owner=principal.key_id,
                       url=body["url"], events=list(dict.fromkeys(body["events"])),
                       description=body.get("description", ""), created_at=now,
                       updated_at=now, secret=signing.new_secret())
        webhook_store().save(hook)
        entry.target = f"webhook:{hook.id}"
        return hook, hook.secret


def get(principal: Principal, webhook_id: str) -> Webhook:
    return webhook_store().get(webhook_id, tenant=principal.readable_tenant)


def list_webhooks(principal: Principal, limit: int, cursor: str | None,
                  all_tenants: bool = False) -> Page:
    return webhook_store().list(principal.listed_tenant(all_tenants), limit=limit,
                               cursor=cursor)


@audit.audits("webhook.update", lambda webhook_id, changes: f"webhook:{webhook_id}")
def update(principal: Principal, webhook_id: str, changes: dict[str, Any]) -> Webhook:
    """Change a webhook's url, events or description (a new url is checked again)."""
    service.require_write(principal)
    hook = get(principal, webhook_id)
    if "url" in changes:
        check_url(changes["url"])
    if "events" in changes:
        changes = {**changes, "events": list(dict.fromkeys(changes["events"]))}
    for name, value in changes.items():
        setattr(hook, name, value)
    hook.updated_at = time.time()
    return webhook_store().save(hook)


@audit.audits("webhook.rotate_secret", lambda webhook_id: f"webhook:{webhook_id}")
def rotate_secret(principal: Principal, webhook_id: str) -> tuple[Webhook, str]:
    """A new secret (shown this once); the old one keeps signing deliveries for
    ``DIA3_WEBHOOK_SECRET_GRACE_SECONDS``, next to the new one."""
    service.require_write(principal)
    hook = get(principal, webhook_id)
    now = time.time()
    hook.previous_secret, hook.secret = hook.secret, signing.new_secret()
    hook.previous_secret_until = now + get_settings().webhook_secret_grace_seconds
    hook.updated_at = now
    webhook_store().save(hook)
    return hook, hook.secret


@audit.audits("webhook.delete", lambda webhook_id: f"webhook:{webhook_id}")
def delete(principal: Principal, webhook_id: str) -> None:
    """Delete a webhook with its deliveries (those not yet made are not made)."""
    service.require_write(principal)
    webhook_store().delete(get(principal, webhook_id))


def deliveries(principal: Principal, webhook_id: str, limit: int, cursor: str | None
               ) -> Page:
    hook = get(principal, webhook_id)
    return webhook_store().deliveries(hook.id, limit=limit, cursor=cursor)


@audit.audits("webhook.redeliver",
              lambda webhook_id, delivery_id: f"webhook:{webhook_id}/delivery:{delivery_id}")
def redeliver(principal: Principal, webhook_id: str, delivery_id: str) -> Delivery:
    """Make a finished delivery again (same ``webhook-id``, attempts from zero), after the
    unfinished deliveries of its job."""
    service.require_write(principal)
    hook = get(principal, webhook_id)
    store = webhook_store()
    delivery = store.get_delivery(delivery_id, webhook_id=hook.id)
    if not store.redeliver(delivery):
        raise Conflict(f"delivery {delivery_id} is still pending; it is attempted as due")
    return store.get_delivery(delivery_id)

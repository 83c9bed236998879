"""The dispatcher: turns the job events of tenants with webhooks into deliveries, and sends
the deliveries that are due to the ``webhooks`` queue.

It reads each such tenant's event stream (:func:`app.redis_keys.tenant_events`) in the
consumer group ``dia3-webhooks``, so a restart resumes where it stopped: an event is
acknowledged only once the deliveries it makes are written (a delivery's id comes from its
webhook and event, so an event read twice makes each delivery once). After taking over it
first reads the events its predecessor read but did not acknowledge.

One dispatcher runs in the cluster (the worker main process holding
``redis_keys.WEBHOOK_DISPATCH_LOCK``, :mod:`workers.runtime.webhooks`).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import redis

from app import metrics
from app import redis_keys as keys
from app.extensions import celery, webhook_store
from app.redis_client import get_redis
from app.settings import get_settings
from app.webhooks.steps import DELIVER
from app.webhooks.store import Delivery, Webhook, delivery_id

log = logging.getLogger("dia3.webhooks")
CONSUMER = "dispatcher"
#: event fields a delivery's body carries (ids, states and counts: no params or results)
DATA_FIELDS = ("job_id", "workflow", "state", "steps_done", "steps_total", "step",
               "schedule_id", "parent_id", "error_type")
INTEGERS = ("steps_done", "steps_total")
BATCH = 100


def body(fields: dict[str, str]) -> str:
    """The JSON body of an event's deliveries: ``{type, timestamp, data}``."""
    data: dict[str, Any] = {name: fields[name] for name in DATA_FIELDS if name in fields}
    for name in INTEGERS:
        if name in data:
            data[name] = int(data[name])
    at = datetime.fromtimestamp(float(fields.get("at") or time.time()), tz=UTC)
    return json.dumps({"type": fields["type"], "timestamp": at.isoformat(), "data": data},
                      separators=(",", ":"))


def delivery_of(hook: Webhook, event_id: str, fields: dict[str, str], now: float) -> Delivery:
    return Delivery(id=delivery_id(hook.id, event_id), webhook_id=hook.id, tenant=hook.tenant,
                    job_id=fields["job_id"], event_type=fields["type"], event_id=event_id,
                    created_at=now, body=body(fields))


class Dispatcher:
    """One dispatcher's state: which streams have their group, whether the events left
    unacknowledged by a predecessor were read."""

    def __init__(self) -> None:
        self.grouped: set[str] = set()
        self.backlog_done = False

    def lost_lock(self) -> None:
        """Another dispatcher runs now; if this one takes over again it rereads the
        unacknowledged events first."""
        self.backlog_done = False

    def read_events(self, block_ms: int) -> int:
        """Read the next events (waiting up to ``block_ms`` for one) and make their
        deliveries; returns how many events were read."""
        store = webhook_store()
        tenants = store.tenants()
        if not tenants:
            return 0
        for tenant in set(tenants) - self.grouped:
            store.ensure_group(tenant)
            self.grouped.add(tenant)
        backlog = not self.backlog_done
        streams = {keys.tenant_events(t): ("0" if backlog else ">") for t in tenants}
        try:
            found = get_redis().xreadgroup(keys.WEBHOOK_GROUP, CONSUMER, streams, count=BATCH,
                                           block=None if backlog else max(block_ms, 1))
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self.grouped.clear()  # a stream was deleted (its tenant erased): make them again
            return 0
        tenant_of = {keys.tenant_events(t): t for t in tenants}
        read = 0
        hooks: dict[str, list[Webhook]] = {}
        for stream, entries in found or []:
            tenant = tenant_of[stream]
            if tenant not in hooks:
                hooks[tenant] = store.of_tenant(tenant)
            for event_id, fields in entries:
                self._deliver(stream, hooks[tenant], event_id, fields or {})
                read += 1
        if backlog and not read:
            self.backlog_done = True
        return read

    def _deliver(self, stream: str, hooks: list[Webhook], event_id: str,
                 fields: dict[str, str]) -> None:
        store = webhook_store()
        now = time.time()
        if "type" in fields and "job_id" in fields:  # else trimmed before it was read
            at = float(fields.get("at") or now)
            for hook in hooks:
                # a webhook made after the event (read late) does not get it; 1 s for clocks
                if fields["type"] in hook.events and at >= hook.created_at - 1:
                    if store.add_delivery(delivery_of(hook, event_id, fields, now), now):
                        metrics.WEBHOOK_DELIVERIES.inc()
        get_redis().xack(stream, keys.WEBHOOK_GROUP, event_id)

    def send_due(self, now: float | None = None) -> int:
        """Send every due delivery to the ``webhooks`` queue; a delivery whose attempt
        records nothing within the lease (its worker died) is sent again then."""
        settings = get_settings()
        store = webhook_store()
        now = time.time() if now is None else now
        lease = settings.webhook_timeout_seconds + 60
        sent = 0
        while True:
            due = store.claim_due(now, lease, BATCH)
            for did in due:
                attempts = store.attempts_of_due(did)
                if attempts is None:  # deleted with its webhook meanwhile
                    continue
                celery().send_task(DELIVER.name, args=[did, attempts], queue=DELIVER.queue)
                sent += 1
            if len(due) < BATCH:
                return sent

    def wait_ms(self, longest: float) -> int:
        """How long the next read may block: until the next delivery is due, at most
        ``longest`` seconds."""
        upcoming = webhook_store().next_due_at()
        wait = longest if upcoming is None else min(longest, upcoming - time.time())
        return max(int(wait * 1000), 1)

    def pass_once(self, longest: float = 1.0) -> bool:
        """Send what is due, then read events for at most ``longest`` seconds (less when a
        delivery falls due sooner) and send the deliveries they made. False when no tenant
        has a webhook (nothing was waited for)."""
        self.send_due()
        if not webhook_store().tenants():
            return False
        if self.read_events(self.wait_ms(longest)):
            self.send_due()
        return True

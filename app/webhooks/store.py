"""Webhooks and their deliveries in Redis.

A webhook is one hash (its secrets sealed at rest like a job's params) with a listing index per
tenant. A delivery is one event for one webhook: a hash with its body (ids and states only),
its state (``pending``, ``succeeded``, ``failed``), attempts and the last answer, listed per
webhook. Three structures order the attempts:

- a *chain* per webhook and job: the job's unfinished deliveries, oldest first. Only its
  first one is attempted, so a job's events reach a receiver in order; when it finishes
  (succeeded or given up) the next one is due at once.
- the *due* set: deliveries by the time of their next attempt. The dispatcher sends each due
  one to the ``webhooks`` queue and moves it a lease ahead (a lost attempt is sent again);
  the attempt's outcome sets its next time or takes it off.
- ``attempts`` in each delivery: an outcome is recorded only by the attempt that was sent
  for the count it read, so a duplicate message cannot count twice.

Every change of those is one Lua script.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import redis

from app import redis_keys as keys
from app.crypto.envelope import Envelope
from app.jobs.store import Page, index_page

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
DELIVERY_STATES = (PENDING, SUCCEEDED, FAILED)
#: the job events a webhook can subscribe to (app.jobs.events)
EVENT_TYPES = ("job.queued", "job.running", "job.progress", "job.succeeded", "job.failed",
               "job.cancelled", "job.retried")


class WebhookNotFound(LookupError):
    pass


class DeliveryNotFound(LookupError):
    pass


@dataclass
class Webhook:
    id: str
    tenant: str
    owner: str
    url: str
    events: list[str]
    description: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0
    #: the rotated-out secret signs too until this time
    previous_secret_until: float | None = None
    secret: str = field(default="", repr=False)
    previous_secret: str = field(default="", repr=False)

    def signing_secrets(self, now: float) -> list[str]:
        """The secrets that sign a delivery now: the current one, and the previous one in its
        grace period."""
        out = [self.secret]
        if self.previous_secret and (self.previous_secret_until or 0) > now:
            out.append(self.previous_secret)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The webhook as the API shows it: never a secret."""
        out = asdict(self)
        out.pop("secret")
        out.pop("previous_secret")
        return out


@dataclass
class Delivery:
    id: str
    webhook_id: str
    tenant: str
    job_id: str
    event_type: str
    #: the event's entry id in its tenant's stream
    event_id: str
    created_at: float
    body: str
    state: str = PENDING
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    last_attempt_at: float | None = None
    #: null while it waits behind an earlier event of its job, or once it finished
    next_attempt_at: float | None = None

    @property
    def message_id(self) -> str:
        """The ``webhook-id`` header: the same at every attempt."""
        return f"msg_{self.id}"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("body")
        out["message_id"] = self.message_id
        return out


def new_webhook_id() -> str:
    return uuid.uuid4().hex


def delivery_id(webhook_id: str, event_id: str) -> str:
    """One delivery per webhook and event, whoever makes it and however often."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"dia3-webhook:{webhook_id}:{event_id}").hex


_WEBHOOK_FLOATS = ("created_at", "updated_at", "previous_secret_until")
_DELIVERY_FLOATS = ("created_at", "last_attempt_at", "next_attempt_at")
_DELIVERY_INTS = ("attempts", "last_status")

# Advances a webhook and job's chain past the delivery ARGV[1] (its first): the next one, if
# any, is due now. KEYS[2] is the chain, KEYS[3] the due set; ARGV: id, now, delivery prefix.
_ADVANCE = """
local function advance()
  redis.call('LREM', KEYS[2], 1, ARGV[1])
  local head = redis.call('LINDEX', KEYS[2], 0)
  if head then
    redis.call('ZADD', KEYS[3], ARGV[2], head)
    redis.call('HSET', ARGV[3] .. head, 'next_attempt_at', ARGV[2])
  end
end
"""

# KEYS: delivery, chain, due, the webhook's deliveries. ARGV: id, now, delivery prefix, the
# delivery's fields (JSON), how many deliveries a webhook keeps. Writes a new delivery at the
# end of its chain (due now if it is first), and deletes the webhook's oldest finished ones
# beyond the number kept; 0 when it exists already.
CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for name, value in pairs(cjson.decode(ARGV[4])) do redis.call('HSET', KEYS[1], name, value) end
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
if redis.call('RPUSH', KEYS[2], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  redis.call('HSET', KEYS[1], 'next_attempt_at', ARGV[2])
end
local extra = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[5])
if extra > 0 then
  for _, old in ipairs(redis.call('ZRANGE', KEYS[4], 0, extra - 1)) do
    local state = redis.call('HGET', ARGV[3] .. old, 'state')
    if state ~= 'pending' then
      redis.call('DEL', ARGV[3] .. old)
      redis.call('ZREM', KEYS[4], old)
    end
  end
end
return 1
"""

# KEYS: delivery, chain, due. ARGV: id, now, delivery prefix, attempts as read, outcome
# (succeeded | retry | failed), status ('' for none), error ('' for none), next attempt.
# Records one attempt's outcome unless another attempt was recorded since (returns 0).
FINISH = _ADVANCE + """
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then return 0 end
if redis.call('HGET', KEYS[1], 'attempts') ~= ARGV[4] then return 0 end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'last_attempt_at', ARGV[2])
if ARGV[6] == '' then redis.call('HDEL', KEYS[1], 'last_status')
else redis.call('HSET', KEYS[1], 'last_status', ARGV[6]) end
if ARGV[7] == '' then redis.call('HDEL', KEYS[1], 'last_error')
else redis.call('HSET', KEYS[1], 'last_error', ARGV[7]) end
if ARGV[5] == 'retry' then
  redis.call('HSET', KEYS[1], 'next_attempt_at', ARGV[8])
  redis.call('ZADD', KEYS[3], ARGV[8], ARGV[1])
  return 1
end
redis.call('HSET', KEYS[1], 'state', ARGV[5])
redis.call('HDEL', KEYS[1], 'next_attempt_at')
redis.call('ZREM', KEYS[3], ARGV[1])
advance()
return 1
"""

# KEYS: delivery, chain, due. ARGV: id, now, delivery prefix. A finished delivery starts
# again (attempts from 0) behind its job's unfinished ones; 0 when it is still pending.
REDELIVER = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if state == 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'pending', 'attempts', 0)
if redis.call('RPUSH', KEYS[2], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
  redis.call('HSET', KEYS[1], 'next_attempt_at', ARGV[2])
end
return 1
"""

# KEYS: delivery, chain, due. ARGV: id, now, delivery prefix. Drops a delivery that can no
# longer be made (its webhook is gone) and lets its chain go on.
DROP = _ADVANCE + """
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[1])
advance()
return 1
"""

# KEYS: due. ARGV: now, lease end, most. Due deliveries, each moved to the lease's end.
CLAIM = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
"""


def _text(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


class WebhookStore:
    def __init__(self, client: redis.Redis, envelope: Envelope | None = None,
                 deliveries_kept: int = 1000):
        self.r = client
        self.envelope = envelope or Envelope(client, None)
        self.deliveries_kept = deliveries_kept
        self._create = client.register_script(CREATE)
        self._finish = client.register_script(FINISH)
        self._redeliver = client.register_script(REDELIVER)
        self._drop = client.register_script(DROP)
        self._claim = client.register_script(CLAIM)

    # ---- webhooks --------------------------------------------------------------------------
    def _hash(self, hook: Webhook) -> dict[str, str]:
        context = f"webhook:{hook.id}"
        out = {"id": hook.id, "tenant": hook.tenant, "owner": hook.owner, "url": hook.url,
               "events": json.dumps(hook.events), "description": hook.description,
               "created_at": repr(hook.created_at), "updated_at": repr(hook.updated_at),
               "secret": self.envelope.seal_text(hook.secret, context)}
        if hook.previous_secret:
            out["previous_secret"] = self.envelope.seal_text(hook.previous_secret, context)
            out["previous_secret_until"] = repr(hook.previous_secret_until or 0.0)
        return out

    def save(self, hook: Webhook) -> Webhook:
        """Write a new or changed webhook whole, with its indexes; its tenant's event stream
        gets the dispatcher's consumer group (reading from now on) if it has none yet."""
        pipe = self.r.pipeline(transaction=True)
        key = keys.webhook(hook.id)
        pipe.delete(key)
        pipe.hset(key, mapping=self._hash(hook))
        for scope in (hook.tenant, None):
            pipe.zadd(keys.webhook_index(scope), {hook.id: hook.created_at})
        pipe.sadd(keys.WEBHOOK_TENANTS, hook.tenant)
        pipe.execute()
        self.ensure_group(hook.tenant)
        return hook

    def ensure_group(self, tenant: str) -> None:
        """The dispatcher's consumer group on the tenant's event stream, from now on."""
        try:
            self.r.xgroup_create(keys.tenant_events(tenant), keys.WEBHOOK_GROUP, id="$",
                                 mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def get(self, webhook_id: str, tenant: str | None = None) -> Webhook:
        """A webhook; another tenant's is reported as not found."""
        hook = self._decode(self.r.hgetall(keys.webhook(webhook_id)))
        if hook is None or (tenant is not None and hook.tenant != tenant):
            raise WebhookNotFound(webhook_id)
        return hook

    def _decode(self, data: dict[str, str]) -> Webhook | None:
        if not data:
            return None
        context = f"webhook:{data['id']}"
        floats = {name: float(data[name]) for name in _WEBHOOK_FLOATS if name in data}
        return Webhook(
            id=data["id"], tenant=data["tenant"], owner=data["owner"], url=data["url"],
            events=json.loads(data["events"]), description=data.get("description", ""),
            secret=self.envelope.open_text(data["secret"], context),
            previous_secret=(self.envelope.open_text(data["previous_secret"], context)
                             if data.get("previous_secret") else ""), **floats)

    def list(self, tenant: str | None, limit: int = 50, cursor: str | None = None) -> Page:
        """Newest first; ``tenant=None``: every tenant's."""
        return index_page(self.r, keys.webhook_index(tenant), limit, cursor,
                          lambda wid: self._decode(self.r.hgetall(keys.webhook(wid))),
                          lambda hook: hook.created_at)

    def of_tenant(self, tenant: str) -> list[Webhook]:
        """Every webhook of a tenant (what the dispatcher matches its events with)."""
        ids = self.r.zrange(keys.webhook_index(tenant), 0, -1)
        return [hook for hook in (self._decode(self.r.hgetall(keys.webhook(wid)))
                                  for wid in ids) if hook is not None]

    def tenants(self) -> list[str]:
        return sorted(self.r.smembers(keys.WEBHOOK_TENANTS))

    def delete(self, hook: Webhook) -> None:
        """Delete a webhook, its deliveries and their place in the attempt order."""
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(keys.webhook(hook.id))
        for scope in (hook.tenant, None):
            pipe.zrem(keys.webhook_index(scope), hook.id)
        pipe.execute()
        if not self.r.zcard(keys.webhook_index(hook.tenant)):
            self.r.srem(keys.WEBHOOK_TENANTS, hook.tenant)
        index = keys.webhook_deliveries(hook.id)
        for batch in _batches(self.r.zrange(index, 0, -1), 200):
            pipe = self.r.pipeline(transaction=False)
            for did in batch:
                pipe.hget(keys.webhook_delivery(did), "job_id")
            jobs = {job for job in pipe.execute() if job}
            pipe = self.r.pipeline(transaction=False)
            pipe.zrem(keys.WEBHOOK_DUE, *batch)
            pipe.delete(*(keys.webhook_delivery(did) for did in batch))
            if jobs:
                pipe.delete(*(keys.webhook_chain(hook.id, job) for job in jobs))
            pipe.execute()
        self.r.delete(index)

    # ---- backup and restore ----------------------------------------------------------------
    def snapshots(self) -> Iterator[dict[str, str]]:
        """Every webhook as stored (secrets still sealed), for a backup. Deliveries are not
        in it: they are a log of attempts made, and the events a restore brings back are
        old ones."""
        for webhook_id in self.r.zrange(keys.webhook_index(None), 0, -1):
            stored = self.r.hgetall(keys.webhook(webhook_id))
            if stored:  # not deleted since it was listed
                yield stored

    def restore(self, stored: dict[str, str]) -> None:
        """Write a snapshot back with its indexes; its tenant's events are delivered from
        the restore on."""
        pipe = self.r.pipeline(transaction=True)
        key, tenant = keys.webhook(stored["id"]), stored["tenant"]
        pipe.delete(key)
        pipe.hset(key, mapping=stored)
        for scope in (tenant, None):
            pipe.zadd(keys.webhook_index(scope), {stored["id"]: float(stored["created_at"])})
        pipe.sadd(keys.WEBHOOK_TENANTS, tenant)
        pipe.execute()
        self.ensure_group(tenant)

    # ---- deliveries ------------------------------------------------------------------------
    def _keys(self, delivery: Delivery) -> list[str]:
        return [keys.webhook_delivery(delivery.id),
                keys.webhook_chain(delivery.webhook_id, delivery.job_id), keys.WEBHOOK_DUE]

    def add_delivery(self, delivery: Delivery, now: float | None = None) -> bool:
        """Write a new delivery behind its job's unfinished ones; False if it exists."""
        now = time.time() if now is None else now
        values = {name: _text(value) for name, value in asdict(delivery).items()
                  if value is not None}
        return self._create(
            keys=[*self._keys(delivery), keys.webhook_deliveries(delivery.webhook_id)],
            args=[delivery.id, repr(now), keys.WEBHOOK_DELIVERY, json.dumps(values),
                  self.deliveries_kept]) == 1

    def get_delivery(self, delivery_id_: str, webhook_id: str | None = None) -> Delivery:
        data = self.r.hgetall(keys.webhook_delivery(delivery_id_))
        if not data or (webhook_id is not None and data["webhook_id"] != webhook_id):
            raise DeliveryNotFound(delivery_id_)
        return _delivery(data)

    def deliveries(self, webhook_id: str, limit: int = 50, cursor: str | None = None
                   ) -> Page:
        """A webhook's deliveries, newest first."""
        def load(did: str) -> Delivery | None:
            data = self.r.hgetall(keys.webhook_delivery(did))
            return _delivery(data) if data else None
        return index_page(self.r, keys.webhook_deliveries(webhook_id), limit, cursor, load,
                          lambda delivery: delivery.created_at)

    def finish(self, delivery: Delivery, outcome: str, status: int | None, error: str | None,
               next_at: float | None = None, now: float | None = None) -> bool:
        """Record the outcome of the attempt made at ``delivery.attempts`` attempts:
        ``succeeded``, ``failed`` (given up) or ``retry`` at ``next_at``."""
        now = time.time() if now is None else now
        return self._finish(keys=self._keys(delivery), args=[
            delivery.id, repr(now), keys.WEBHOOK_DELIVERY, str(delivery.attempts), outcome,
            "" if status is None else str(status), error or "",
            repr(next_at if next_at is not None else now)]) == 1

    def redeliver(self, delivery: Delivery, now: float | None = None) -> bool:
        """Start a finished delivery again; False while it is still pending."""
        now = time.time() if now is None else now
        done = self._redeliver(keys=self._keys(delivery),
                               args=[delivery.id, repr(now), keys.WEBHOOK_DELIVERY])
        if done == -1:
            raise DeliveryNotFound(delivery.id)
        return done == 1

    def drop(self, delivery: Delivery) -> None:
        self._drop(keys=self._keys(delivery),
                   args=[delivery.id, repr(time.time()), keys.WEBHOOK_DELIVERY])

    def claim_due(self, now: float, lease: float, most: int = 100) -> list[str]:
        """The deliveries due by ``now``, each moved ``lease`` seconds ahead (sent again then
        unless its attempt records an outcome first)."""
        return self._claim(keys=[keys.WEBHOOK_DUE], args=[repr(now), repr(now + lease), most])

    def attempts_of_due(self, delivery_id_: str) -> int | None:
        """The attempts so far of a claimed delivery; None (and off the due set) when it is
        gone."""
        attempts = self.r.hget(keys.webhook_delivery(delivery_id_), "attempts")
        if attempts is None:
            self.r.zrem(keys.WEBHOOK_DUE, delivery_id_)
            return None
        return int(attempts)

    def next_due_at(self) -> float | None:
        first = self.r.zrange(keys.WEBHOOK_DUE, 0, 0, withscores=True)
        return first[0][1] if first else None


def _delivery(data: dict[str, str]) -> Delivery:
    values: dict[str, Any] = dict(data)
    for name in _DELIVERY_FLOATS:
        if name in values:
            values[name] = float(values[name])
    for name in _DELIVERY_INTS:
        if name in values:
            values[name] = int(values[name])
    return Delivery(**values)


def _batches(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]

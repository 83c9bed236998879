"""kombu's Sentinel transport, with one fix that keeps a worker alive through a failover.

When the primary dies, Celery's consumer closes the lost connection and reconnects through
the Sentinels. Closing a channel that still holds unacknowledged messages makes kombu
restore them first, and for that it builds a new connection pool from the connection's
parameters, which Celery has already cleared: an ``AttributeError`` ('NoneType' object has
no attribute 'hostname'), which Celery takes for an unrecoverable error and stops the whole
worker. Here the channel says what happened instead, a connection error, which kombu and
Celery ignore while closing, so the consumer reconnects to the new primary. The messages
stay in Redis' unacknowledged set, where DIA3's reaper requeues what no live worker holds
(:mod:`workers.runtime.reaper`).

:func:`install` makes this the transport of ``sentinel://`` broker URLs (kombu looks
transports up by the URL's scheme, again at each reconnection, so a ``broker_transport``
setting would not survive a failover).

Both DIA3 transports (``redis://``, ``rediss://`` and unix sockets as well as Sentinels)
also reuse one Redis client per channel where kombu makes a new ``redis.Redis`` for every
message it publishes, acknowledges or records as unacknowledged: a client is a thin,
thread-safe handle on the channel's connection pool, and making one (with its response
callbacks) cost about as much CPU as the command it sends, four times per step.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from kombu import transport as kombu_transports
from kombu.transport import redis as kombu_redis


class OneClient:
    """Channel mixin: every command without a client of its own goes through one client of
    the channel's current pool (made again when kombu replaces the pool, e.g. after a fork
    or a reconnection)."""

    _one_client: redis.Redis | None = None

    @contextmanager
    def conn_or_acquire(self, client: redis.Redis | None = None) -> Iterator[redis.Redis]:
        if client:
            yield client
            return
        pool, one = self.pool, self._one_client  # type: ignore[attr-defined]
        if one is None or one.connection_pool is not pool:
            one = self._one_client = self._create_client()  # type: ignore[attr-defined]
        yield one


class Channel(OneClient, kombu_redis.Channel):
    pass


class Transport(kombu_redis.Transport):
    Channel = Channel


class SentinelChannel(OneClient, kombu_redis.SentinelChannel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:  # closing a lost connection: nothing to reach
            raise redis.ConnectionError("the broker connection was lost and is closed")
        return super()._connparams(asynchronous)


class SentinelTransport(kombu_redis.SentinelTransport):
    Channel = SentinelChannel


def install() -> None:
    """Serve ``sentinel://`` URLs with :class:`SentinelTransport` and Redis URLs with
    :class:`Transport` (idempotent)."""
    for scheme, transport in (("sentinel", "SentinelTransport"), ("redis", "Transport"),
                              ("rediss", "Transport")):
        kombu_transports.TRANSPORT_ALIASES[scheme] = f"{__name__}:{transport}"
        kombu_transports._transport_cache.pop(scheme, None)

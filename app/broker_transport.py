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
"""

from __future__ import annotations

import redis
from kombu import transport as kombu_transports
from kombu.transport import redis as kombu_redis


class SentinelChannel(kombu_redis.SentinelChannel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:  # closing a lost connection: nothing to reach
            raise redis.ConnectionError("the broker connection was lost and is closed")
        return super()._connparams(asynchronous)


class SentinelTransport(kombu_redis.SentinelTransport):
    Channel = SentinelChannel


def install() -> None:
    """Serve ``sentinel://`` URLs with :class:`SentinelTransport` (idempotent)."""
    kombu_transports.TRANSPORT_ALIASES["sentinel"] = f"{__name__}:SentinelTransport"
    kombu_transports._transport_cache.pop("sentinel", None)

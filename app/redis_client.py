"""Redis connections shared by every DIA3 component.

One URL form is used everywhere (``redis://``, ``rediss://`` or ``unix://``); Celery and kombu
spell unix sockets ``redis+socket://``, so :func:`celery_url` translates.
"""

from __future__ import annotations

import redis

from app.extensions import process_local
from app.settings import get_settings

# Short timeouts so an unreachable Redis becomes a quick 503, never a hang. Blocking commands
# are not used on this client; redis-py 8's 5 s default would otherwise apply.
SOCKET_TIMEOUT = 5.0
CONNECT_TIMEOUT = 2.0


def redis_url() -> str:
    url = get_settings().redis_url
    if not url:
        raise RuntimeError(
            "DIA3_REDIS_URL is not set and no embedded Redis was started; "
            "run through `dia3 up`/`dia3 api`/`dia3 worker` or set DIA3_REDIS_URL")
    return url


def celery_url(url: str) -> str:
    """Translate a DIA3 Redis URL into the spelling Celery/kombu expect."""
    if url.startswith("unix://"):
        return "redis+socket://" + url[len("unix://"):]
    return url


def make_client(url: str, **kwargs) -> redis.Redis:
    options = {"socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": CONNECT_TIMEOUT,
               "health_check_interval": 30, "decode_responses": True}
    options.update(kwargs)
    if url.startswith("unix://"):
        options.pop("socket_connect_timeout", None)
    return redis.Redis.from_url(url, **options)


def get_redis() -> redis.Redis:
    """The process's Redis client (one pool per process and URL; safe after fork)."""
    url = redis_url()
    return process_local(f"redis:{url}", lambda: make_client(url))


def get_bytes_redis() -> redis.Redis:
    """A non-decoding client of the same Redis, for binary values (staged uploads)."""
    url = redis_url()
    return process_local(f"redis-bytes:{url}", lambda: make_client(url, decode_responses=False))

"""Redis connections shared by every DIA3 component.

One URL form is used everywhere (``redis://``, ``rediss://`` or ``unix://``); Celery and kombu
spell unix sockets ``redis+socket://``, so :func:`celery_url` translates. A ``rediss://`` URL
is TLS with the server's certificate verified (CA, host name) and, where Redis asks for one, a
client certificate: :func:`tls_options` gives every client (job store, Celery's broker and
backend, rate limiter) the same files from ``DIA3_REDIS_TLS_*``.
"""

from __future__ import annotations

import ssl

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


def tls_options(url: str) -> dict:
    """redis-py's TLS arguments for ``url``: none for plain or unix URLs; for ``rediss://``
    a verified server certificate and the configured CA and client certificate."""
    if not url.startswith("rediss://"):
        return {}
    settings = get_settings()
    options: dict = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    for option, path in (("ssl_ca_certs", settings.redis_tls_ca_file),
                         ("ssl_certfile", settings.redis_tls_cert_file),
                         ("ssl_keyfile", settings.redis_tls_key_file)):
        if path:
            options[option] = path
    return options


def make_client(url: str, **kwargs) -> redis.Redis:
    options = {"socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": CONNECT_TIMEOUT,
               "health_check_interval": 30, "decode_responses": True, **tls_options(url)}
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

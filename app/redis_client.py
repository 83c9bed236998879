"""Redis connections shared by every DIA3 component.

One URL form is used everywhere (``redis://``, ``rediss://`` or ``unix://``); Celery and kombu
spell unix sockets ``redis+socket://``, so :func:`celery_url` translates. A ``rediss://`` URL
is TLS with the server's certificate verified (CA, host name) and, where Redis asks for one, a
client certificate: :func:`tls_options` gives every client (job store, Celery's broker and
backend, rate limiter) the same files from ``DIA3_REDIS_TLS_*``.

With ``DIA3_REDIS_SENTINELS`` set, DIA3's Redis is whichever server the Sentinels name as the
primary of ``DIA3_REDIS_MASTER_NAME``: :func:`redis_url` is then Celery's spelling of the
Sentinels (``sentinel://h1:p1;sentinel://h2:p2``, no password: it also names the process's
clients), :func:`make_client` asks the Sentinels for the primary (and again after a failover),
and :func:`sentinel_options` gives Celery's broker and result backend the same master name and
Sentinel credentials. What Celery, kombu and redis-py do not do by themselves, and is done
here for every client alike:

- kombu's Sentinel transport and Celery's Sentinel result backend read ``master_name`` from
  their own transport options each; without it in ``result_backend_transport_options`` the
  backend fails at its first write (celery/celery#3945, #5142), so both get it.
- Both take the primary's password only from the URL (its first ``sentinel://`` part), not
  from options: :func:`with_password` puts ``DIA3_REDIS_PASSWORD`` into the URLs Celery gets
  (URL-quoted, as ``;``, ``@`` and ``+`` would otherwise split it) and nowhere else, so the
  URL DIA3 logs or keys clients by carries none.
- redis-py copies only the ``socket_*`` options to its Sentinel connections: the Sentinels'
  password and TLS go in ``sentinel_kwargs`` explicitly (:func:`sentinel_kwargs`), or a
  Sentinel with ``requirepass`` or TLS refuses every client.
- ``redis.sentinel`` infers no TLS from a scheme (there is no ``rediss`` for Sentinels):
  ``ssl=True`` is said explicitly, with the same CA and client certificate as ``rediss://``.
"""

from __future__ import annotations

import ssl
from urllib.parse import quote

import redis
import redis.sentinel

from app.extensions import process_local
from app.settings import get_settings

# Short timeouts so an unreachable Redis becomes a quick 503, never a hang. Blocking commands
# are not used on this client; redis-py 8's 5 s default would otherwise apply.
SOCKET_TIMEOUT = 5.0
CONNECT_TIMEOUT = 2.0


SENTINEL = "sentinel://"


def redis_url() -> str:
    """DIA3's Redis: ``DIA3_REDIS_URL``, or with Sentinels their ``sentinel://`` list."""
    settings = get_settings()
    if settings.redis_sentinels:
        return ";".join(f"{SENTINEL}{host}:{port}" for host, port in settings.sentinel_hosts)
    url = settings.redis_url
    if not url:
        raise RuntimeError(
            "DIA3_REDIS_URL is not set and no embedded Redis was started; "
            "run through `dia3 up`/`dia3 api`/`dia3 worker` or set DIA3_REDIS_URL")
    return url


def is_sentinel(url: str) -> bool:
    return url.startswith(SENTINEL)


def with_password(url: str) -> str:
    """``url`` carrying ``DIA3_REDIS_PASSWORD`` (each part of a Sentinel list), unless it has
    credentials of its own: Celery and kombu take the primary's password only from URLs."""
    password = get_settings().redis_auth
    if not password:
        return url
    parts = []
    for part in url.split(";"):
        scheme, sep, rest = part.partition("://")
        if sep and "@" not in rest.split("/", 1)[0]:
            part = f"{scheme}://:{quote(password, safe='')}@{rest}"
        parts.append(part)
    return ";".join(parts)


def celery_url(url: str) -> str:
    """Translate a DIA3 Redis URL into the spelling Celery/kombu expect."""
    if url.startswith("unix://"):
        return "redis+socket://" + url[len("unix://"):]
    return with_password(url)


def tls_options(url: str) -> dict:
    """redis-py's TLS arguments for ``url``: none for plain or unix URLs; for ``rediss://``
    (or Sentinels with ``DIA3_REDIS_SENTINEL_TLS``) a verified server certificate and the
    configured CA and client certificate."""
    settings = get_settings()
    if not (url.startswith("rediss://") or (is_sentinel(url) and settings.redis_sentinel_tls)):
        return {}
    options: dict = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    for option, path in (("ssl_ca_certs", settings.redis_tls_ca_file),
                         ("ssl_certfile", settings.redis_tls_cert_file),
                         ("ssl_keyfile", settings.redis_tls_key_file)):
        if path:
            options[option] = path
    return options


def sentinel_kwargs(url: str) -> dict:
    """How to talk to the Sentinels themselves: short timeouts, their password, TLS."""
    tls = tls_options(url)
    password = get_settings().sentinel_auth
    return {"socket_timeout": CONNECT_TIMEOUT, "socket_connect_timeout": CONNECT_TIMEOUT,
            **({"password": password} if password else {}),
            **({"ssl": True, **tls} if tls else {})}


def sentinel_options(url: str) -> dict:
    """Celery's transport options for a Sentinel ``url`` (broker and result backend alike);
    none for a plain URL."""
    if not is_sentinel(url):
        return {}
    return {"master_name": get_settings().redis_master_name,
            "sentinel_kwargs": sentinel_kwargs(url)}


def _sentinel(url: str) -> redis.sentinel.Sentinel:
    hosts = [tuple(part[len(SENTINEL):].rsplit(":", 1)) for part in url.split(";")]
    return redis.sentinel.Sentinel([(host, int(port)) for host, port in hosts],
                                   sentinel_kwargs=sentinel_kwargs(url))


def make_client(url: str, **kwargs) -> redis.Redis:
    """A client of ``url``; for Sentinels, of the primary they name now and after failovers
    (a connection error during a failover surfaces as ``redis.ConnectionError``: a 503)."""
    options = {"socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": CONNECT_TIMEOUT,
               "health_check_interval": 30, "decode_responses": True, **tls_options(url)}
    password = get_settings().redis_auth
    if password:
        options["password"] = password
    options.update(kwargs)
    if url.startswith("unix://"):
        options.pop("socket_connect_timeout", None)
    if is_sentinel(url):
        sentinel = _sentinel(url)  # each client its own: made once per process (get_redis)
        if "ssl_cert_reqs" in options:  # from_url infers TLS from rediss://; here it is said
            options["ssl"] = True
        return sentinel.master_for(get_settings().redis_master_name, redis_class=redis.Redis,
                                   **options)
    return redis.Redis.from_url(url, **options)


def get_redis() -> redis.Redis:
    """The process's Redis client (one pool per process and URL; safe after fork)."""
    url = redis_url()
    return process_local(f"redis:{url}", lambda: make_client(url))


def get_bytes_redis() -> redis.Redis:
    """A non-decoding client of the same Redis, for binary values (staged uploads)."""
    url = redis_url()
    return process_local(f"redis-bytes:{url}", lambda: make_client(url, decode_responses=False))

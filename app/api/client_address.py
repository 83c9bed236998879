"""The client address of a request, seen through the reverse proxies DIA3 trusts.

Behind nginx or an ingress every request comes from the proxy, so the connection's address
says nothing about the caller. ``X-Forwarded-For`` does, but anyone can send that header: it is
believed only when the connection comes from an address in ``DIA3_TRUSTED_PROXIES``, and then
read from the right (each proxy appends what it saw), skipping further trusted proxies, so
the first untrusted hop is the client. A caller cannot hide behind a forged left part of the
header, because that part is never reached while an untrusted hop stands to its right.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from flask import request

from app.settings import get_settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """The networks of a ``DIA3_TRUSTED_PROXIES`` value; raises ValueError on a bad entry."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False)
                 for part in spec.split(",") if part.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def resolve(remote: str | None, forwarded_for: str | None, spec: str) -> str:
    """The client address of a connection from ``remote`` carrying ``forwarded_for``."""
    networks = trusted_networks(spec)

    def trusted(text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in net for net in networks)

    if not remote or not forwarded_for or not trusted(remote):
        return remote or "unknown"
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            return hop if _address(hop) is not None else "unknown"
    return hops[0] if hops else remote


def client_address() -> str:
    """The current request's client address."""
    return resolve(request.remote_addr, request.headers.get("X-Forwarded-For"),
                   get_settings().trusted_proxies)

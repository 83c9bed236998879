"""Which webhook URLs DIA3 may call: http(s) only, and no host that resolves to a loopback,
private, link-local, multicast, reserved or cloud-metadata address (unless
``DIA3_WEBHOOK_ALLOW_PRIVATE``), so that a webhook cannot make a worker reach what only the
cluster can (server-side request forgery).

A URL is checked when a webhook is created or changed and again at every attempt, and the
attempt connects to the very address that was checked (:class:`Target`): a DNS answer that
changes between the check and the connection (DNS rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from app.errors import InputError

SCHEMES = {"http": 80, "https": 443}
#: cloud metadata services, refused even where their range would otherwise pass
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
            ipaddress.ip_address("100.100.100.200")}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(InputError):
    """A webhook URL DIA3 will not call (answered 422 on the field ``url``)."""

    def __init__(self, message: str) -> None:
        super().__init__("url", message)


@dataclass(frozen=True)
class Target:
    """Where one attempt goes: the URL's parts and the checked address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"


def refused_because(address: Address) -> str | None:
    """Why DIA3 does not call this address (None: it is a public one)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in METADATA:
        return "a cloud metadata address"
    for kind in ("loopback", "private", "link_local", "multicast", "reserved",
                 "unspecified"):
        if getattr(address, f"is_{kind}"):
            return f"a {kind.replace('_', '-')} address"
    if not address.is_global:  # e.g. shared address space (100.64.0.0/10)
        return "not a public address"
    return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (an IP literal: itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(f"The host {host!r} does not resolve ({exc.__class__.__name__}).") \
            from None
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0])
                              for info in infos))


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of a URL DIA3 could call; checks its form."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UnsafeURL("Only http and https URLs can receive webhooks.")
    if not parts.hostname:
        raise UnsafeURL("The URL has no host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("The URL may not carry a user name or password.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, parts.hostname, port or SCHEMES[scheme], path


def check(url: str, allow_private: bool) -> Target:
    """The target of ``url``, or :class:`UnsafeURL` when DIA3 must not call it: every
    address its host resolves to must be public (unless ``allow_private``)."""
    scheme, host, port, path = parse(url)
    found = resolve(host, port)
    if not found:
        raise UnsafeURL(f"The host {host!r} does not resolve.")
    if not allow_private:
        for address in found:
            reason = refused_because(address)
            if reason:
                raise UnsafeURL(f"The host {host!r} resolves to {address}, {reason}; webhooks "
                                "go to public addresses only (DIA3_WEBHOOK_ALLOW_PRIVATE).")
    return Target(scheme, host, port, path, str(found[0]))

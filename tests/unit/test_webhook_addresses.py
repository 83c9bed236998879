"""Which webhook URLs DIA3 calls: http(s) only, no credentials in the URL, and no host that
resolves (by its literal address or by DNS) to a loopback, private, link-local, multicast,
reserved or metadata address, unless private addresses are allowed."""

from __future__ import annotations

import socket

import pytest

from app.webhooks import addresses
from app.webhooks.addresses import UnsafeURL, check


def resolving(monkeypatch, answers: dict[str, list[str]]) -> None:
    """DNS as a table: each name resolves to its addresses."""
    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in answers[host]]
    monkeypatch.setattr(addresses.socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://[::1]:8080/", "http://10.1.2.3/", "http://172.16.0.9/",
    "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/", "http://[fe80::1]/", "http://224.0.0.1/", "http://0.0.0.0/",
    "http://240.0.0.1/", "http://100.64.0.1/", "http://[::ffff:127.0.0.1]/",
])
def test_non_public_addresses_are_refused(url):
    with pytest.raises(UnsafeURL) as refused:
        check(url, allow_private=False)
    assert refused.value.field == "url"
    assert "DIA3_WEBHOOK_ALLOW_PRIVATE" in refused.value.message


def test_metadata_addresses_are_named():
    with pytest.raises(UnsafeURL, match="metadata"):
        check("http://169.254.169.254/", allow_private=False)
    with pytest.raises(UnsafeURL, match="metadata"):
        check("http://[fd00:ec2::254]/", allow_private=False)


def test_names_that_resolve_to_private_addresses_are_refused(monkeypatch):
    resolving(monkeypatch, {"internal.example.com": ["10.0.0.5"],
                            "mixed.example.com": ["93.184.216.34", "192.168.0.7"],
                            "v6.example.com": ["::1"],
                            "public.example.com": ["93.184.216.34"]})
    for host in ("internal.example.com", "mixed.example.com", "v6.example.com"):
        with pytest.raises(UnsafeURL, match="resolves to"):
            check(f"https://{host}/hook", allow_private=False)
    target = check("https://public.example.com:8443/hook?x=1", allow_private=False)
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https", "public.example.com", 8443, "/hook?x=1", "93.184.216.34")
    assert target.host_header == "public.example.com:8443"
    with pytest.raises(UnsafeURL, match="does not resolve"):
        check("https://nowhere.example.com/", allow_private=False)


def test_localhost_by_name_is_refused():
    with pytest.raises(UnsafeURL, match="loopback"):
        check("http://localhost:9000/", allow_private=False)


def test_allowing_private_addresses_lets_them_through():
    target = check("http://127.0.0.1:9000/in", allow_private=True)
    assert (target.address, target.port, target.path) == ("127.0.0.1", 9000, "/in")
    assert target.host_header == "127.0.0.1:9000"


@pytest.mark.parametrize("url, says", [
    ("ftp://example.com/", "Only http and https"), ("file:///etc/passwd", "Only http"),
    ("gopher://example.com/", "Only http"), ("http:///nohost", "no host"),
    ("https://user:pw@example.com/", "user name or password"),
    ("http://example.com:99999/", "Not a valid URL"),
])
def test_only_plain_http_and_https_urls(url, says):
    with pytest.raises(UnsafeURL, match=says):
        check(url, allow_private=True)

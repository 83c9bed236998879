"""The client address behind trusted proxies: X-Forwarded-For is believed only from a trusted
proxy and read from the right, so a forged left part cannot hide the caller."""

import pytest

from app.api.client_address import resolve
from app.settings import load_settings

PROXIES = "10.0.0.0/8, 192.168.1.5"


@pytest.mark.parametrize("remote, forwarded, spec, expected", [
    ("203.0.113.9", None, PROXIES, "203.0.113.9"),                       # no proxy
    ("203.0.113.9", "198.51.100.1", PROXIES, "203.0.113.9"),             # untrusted sender
    ("203.0.113.9", "198.51.100.1", "", "203.0.113.9"),                  # nothing trusted
    ("10.1.2.3", "198.51.100.1", PROXIES, "198.51.100.1"),               # one trusted proxy
    ("10.1.2.3", "198.51.100.1, 192.168.1.5", PROXIES, "198.51.100.1"),  # two proxies
    ("10.1.2.3", "6.6.6.6, 198.51.100.1", PROXIES, "198.51.100.1"),      # forged left part
    ("10.1.2.3", "garbage, 198.51.100.1", PROXIES, "198.51.100.1"),
    ("10.1.2.3", "198.51.100.1, garbage", PROXIES, "unknown"),           # a proxy's nonsense
    ("10.1.2.3", "10.9.9.9", PROXIES, "10.9.9.9"),                       # only proxies: first
    ("::1", "2001:db8::7", "::1", "2001:db8::7"),
    (None, None, PROXIES, "unknown"),
])
def test_resolve(remote, forwarded, spec, expected):
    assert resolve(remote, forwarded, spec) == expected


def test_a_bad_trusted_proxy_entry_is_refused_when_settings_load():
    assert load_settings({"DIA3_TRUSTED_PROXIES": " 10.0.0.0/8 ,::1"}).trusted_proxies == \
        "10.0.0.0/8,::1"
    with pytest.raises(ValueError, match="DIA3_TRUSTED_PROXIES: not an address or network"):
        load_settings({"DIA3_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"})

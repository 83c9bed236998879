"""The dashboard's sign-in across reloads and links: a cookie holding the API key encrypted.

Streamlit keeps a session per browser connection, so a reload or an opened link would sign
the user out. The cookie carries the key encrypted and authenticated (Fernet: AES with an
HMAC and the time it was issued) under a secret only the dashboard knows, so it is useless
to anything but this dashboard and only for ``DIA3_UI_SESSION_HOURS``; the key is never in
a URL. Streamlit cannot set response headers, so the browser writes the cookie (``SameSite=
Strict``, and ``Secure`` over HTTPS); the dashboard reads it from the connection's request.
"""

from __future__ import annotations

import base64
import hashlib
import json

import streamlit as st
from cryptography.fernet import Fernet, InvalidToken

from app.runtime.private import generated_secret
from app.settings import Settings, get_settings

COOKIE = "dia3_session"
SECRET_FILE = "ui-session-secret"


def _fernet(settings: Settings) -> Fernet:
    secret = settings.ui_session_secret or generated_secret(settings.data_path / SECRET_FILE,
                                                            32)
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def seal(api_key: str, settings: Settings | None = None) -> str:
    """The cookie value for a signed-in key."""
    return _fernet(settings or get_settings()).encrypt(
        json.dumps({"key": api_key}).encode()).decode()


def unseal(token: str | None, settings: Settings | None = None) -> str | None:
    """The key in a cookie value, or None when it is missing, forged, from another secret or
    older than ``DIA3_UI_SESSION_HOURS``."""
    settings = settings or get_settings()
    if not token or settings.ui_session_hours <= 0:
        return None
    try:
        body = _fernet(settings).decrypt(token.encode(),
                                         ttl=int(settings.ui_session_hours * 3600))
        key = json.loads(body)["key"]
    except (InvalidToken, ValueError, KeyError, TypeError):
        return None
    return key if isinstance(key, str) and key else None


def from_request() -> str | None:
    """The key of this connection's session cookie, if it holds a valid one."""
    return unseal(st.context.cookies.get(COOKIE))


def _write(value: str, max_age: int) -> None:
    """Have the browser set (or, with ``max_age`` 0, delete) the cookie. Drawn in the
    sidebar, so the page's main area never holds a script."""
    secure = "; Secure" if (st.context.url or "").startswith("https:") else ""
    cookie = json.dumps(f"{COOKIE}={value}; Path=/; Max-Age={max_age}; SameSite=Strict{secure}")
    with st.sidebar:
        st.html(f"<script>document.cookie = {cookie};</script>", unsafe_allow_javascript=True)


def store(api_key: str) -> None:
    hours = get_settings().ui_session_hours
    if hours > 0:
        _write(seal(api_key), int(hours * 3600))


def clear() -> None:
    _write("", 0)

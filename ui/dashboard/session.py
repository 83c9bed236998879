"""Who is signed in to this browser session, and the API client made from their key.

The key lives in the Streamlit session (server memory for this browser tab) and, encrypted, in
a session cookie (``session_cookie``), so a reload or a link opened in the same browser stays
signed in. It is checked against the API at sign-in, and a 401 later (key revoked) signs the
session out again and drops the cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import requests
import streamlit as st

from app.client import APIError
from app.reports import markup as md
from app.settings import get_settings
from ui.client import SurfaceClient
from ui.dashboard import session_cookie

KEY = "dia3_api_key"
CLIENT = "dia3_client"
#: the cookie still has to be written (set at sign-in, done once the pages are drawn)
REMEMBER = "dia3_remember"
#: signed out in this tab: the connection's cookie (read when it opened) no longer counts
SIGNED_OUT = "dia3_signed_out"
T = TypeVar("T")


def client() -> SurfaceClient | None:
    key = st.session_state.get(KEY)
    if not key and not st.session_state.get(SIGNED_OUT):
        key = session_cookie.from_request()
        if key:
            st.session_state[KEY] = key
    if not key:
        return None
    made = st.session_state.get(CLIENT)
    if made is None or made.session.headers.get("X-API-Key") != key:
        # a page waits for at most one retry of a refused request (429, 503), briefly
        made = SurfaceClient(get_settings().client_api_url, key, timeout=15, retries=1,
                             max_wait=5)
        st.session_state[CLIENT] = made
    return made


def sign_out() -> None:
    for name in (KEY, CLIENT, REMEMBER):
        st.session_state.pop(name, None)
    st.session_state[SIGNED_OUT] = True


def remember() -> None:
    """Write the session cookie once after a sign-in (the page must be drawn for that)."""
    if st.session_state.pop(REMEMBER, False) and st.session_state.get(KEY):
        session_cookie.store(st.session_state[KEY])


def check_key(key: str) -> str | None:
    """None when the API accepts the key, else why not."""
    try:
        SurfaceClient(get_settings().client_api_url, key, timeout=10).workflows()
    except APIError as exc:
        return "The API refused this key (unknown or revoked)." if exc.status == 401 \
            else f"The API answered {exc}."
    except requests.RequestException:
        return f"Cannot reach the DIA3 API at {get_settings().client_api_url}."
    return None


def sign_in_form() -> None:
    if st.session_state.get(SIGNED_OUT):
        session_cookie.clear()
    st.title("DIA3")
    st.caption("Distributed Intelligence Analysis — sign in with your DIA3 API key.")
    with st.form("sign-in"):
        key = st.text_input("API key", type="password", key="sign-in:key")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        problem = check_key(key.strip()) if key.strip() else "Enter an API key."
        if problem:
            st.error(md.inline(problem))
            return
        st.session_state[KEY] = key.strip()
        st.session_state[REMEMBER] = True
        st.session_state.pop(SIGNED_OUT, None)
        st.rerun()


def flatten(errors: Any, path: str = "") -> list[str]:
    """``{"json": {"params": {"texts": {"3": ["Too long."]}}}}`` → ``["texts.3: Too long."]``."""
    if isinstance(errors, list):
        return [f"{path or 'request'}: {message}" for message in errors]
    out: list[str] = []
    for name, value in (errors or {}).items():
        inner = path if name in ("json", "params") and not path else \
            f"{path}.{name}" if path else str(name)
        out += flatten(value, inner)
    return out


def show_refusal(what: str, exc: APIError) -> None:
    """The API's refusal of a form: its message, then each field's error."""
    st.error(f"{what}: {md.inline(exc.body.get('message', exc))}")
    for line in flatten(exc.body.get("errors")):
        st.error(md.inline(line))


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Run an API call; on failure show why (and sign out on 401) and return None."""
    try:
        return fn(*args, **kwargs)
    except APIError as exc:
        if exc.status == 401:
            sign_out()
            st.error("Your API key is no longer accepted; sign in again.")
        else:
            st.error(md.inline(exc))
    except requests.RequestException:
        st.error(f"Cannot reach the DIA3 API at {get_settings().client_api_url}.")
    return None

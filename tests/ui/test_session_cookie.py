"""The dashboard's session cookie: the key comes back only from a cookie this dashboard
sealed, within DIA3_UI_SESSION_HOURS, and the cookie does not show the key."""

from __future__ import annotations

import time

from app.settings import load_settings
from ui.dashboard import session_cookie

KEY = "dia3_abcdef_0123456789secret"


def settings(tmp_path, **env: str):
    return load_settings({"DIA3_DATA_DIR": str(tmp_path), **env})


def test_a_sealed_key_comes_back_and_is_not_readable_in_the_cookie(tmp_path):
    s = settings(tmp_path)
    token = session_cookie.seal(KEY, s)
    assert KEY not in token and "secret" not in token
    assert session_cookie.unseal(token, s) == KEY
    assert (tmp_path / "ui-session-secret").stat().st_mode & 0o077 == 0  # generated, private


def test_an_expired_forged_or_foreign_cookie_gives_no_key(tmp_path):
    s = settings(tmp_path, DIA3_UI_SESSION_HOURS="2")
    old = session_cookie._fernet(s).encrypt_at_time(
        b'{"key": "%s"}' % KEY.encode(), int(time.time() - 2 * 3600 - 5)).decode()
    assert session_cookie.unseal(old, s) is None
    token = session_cookie.seal(KEY, s)
    assert session_cookie.unseal(token[:-4] + "AAAA", s) is None
    assert session_cookie.unseal(token, settings(tmp_path, DIA3_UI_SESSION_SECRET="other")) \
        is None
    assert session_cookie.unseal(None, s) is session_cookie.unseal("", s) is None


def test_a_configured_secret_is_shared_by_replicas_and_zero_hours_turns_cookies_off(tmp_path):
    one = settings(tmp_path / "a", DIA3_UI_SESSION_SECRET="shared")
    two = settings(tmp_path / "b", DIA3_UI_SESSION_SECRET="shared")
    assert session_cookie.unseal(session_cookie.seal(KEY, one), two) == KEY
    off = settings(tmp_path / "a", DIA3_UI_SESSION_SECRET="shared", DIA3_UI_SESSION_HOURS="0")
    assert session_cookie.unseal(session_cookie.seal(KEY, one), off) is None

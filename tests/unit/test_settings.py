import re
from pathlib import Path

import pytest

from app.settings import Settings, documented_settings, load_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_defaults_follow_the_architecture():
    s = load_settings({})
    assert (s.api_port, s.mcp_port, s.ui_port, s.landing_port, s.flower_port) == (
        8003, 8000, 8501, 8502, 5555)
    assert s.redis_url == "" and s.embedded_redis
    assert s.data_dir == "./var"


def test_environment_overrides_and_parsing():
    s = load_settings({"DIA3_API_PORT": "9000", "DIA3_REDIS_URL": "redis://r:6379/0",
                       "DIA3_HEARTBEAT_INTERVAL": "2.5"})
    assert s.api_port == 9000 and s.redis_url == "redis://r:6379/0"
    assert s.heartbeat_interval == 2.5 and not s.embedded_redis


def test_bad_value_names_the_variable():
    with pytest.raises(ValueError, match="DIA3_API_PORT"):
        load_settings({"DIA3_API_PORT": "eighty"})


def test_rate_limits_are_checked_and_zero_disables():
    s = load_settings({"DIA3_RATE_LIMIT_ANALYST": " 10/second;500/hour ",
                       "DIA3_RATE_LIMIT_VIEWER": "0", "DIA3_RATE_LIMIT_ADMIN": ""})
    assert s.rate_limit_analyst == "10/second;500/hour"
    assert s.rate_limit_viewer == "" and s.rate_limit_admin == ""
    with pytest.raises(ValueError, match="DIA3_RATE_LIMIT_VIEWER"):
        load_settings({"DIA3_RATE_LIMIT_VIEWER": "lots"})


def test_secrets_are_redacted():
    s = load_settings({"DIA3_ADMIN_API_KEY": "super-secret"})
    assert "super-secret" not in repr(s.redacted())
    assert "super-secret" not in repr(s) and "super-secret" not in str(s)


def test_every_setting_is_documented_with_its_default():
    text = DOC.read_text()
    rows = {m.group(1): m.group(2).strip() for m in
            re.finditer(r"^\| `(DIA3_[A-Z0-9_]+)` \| `?([^|]*?)`? \|", text, re.M)}
    for name, default, _ in documented_settings():
        assert name in rows, f"{name} missing from docs/configuration.md"
        shown = "" if rows[name] in ("(empty)",) else rows[name]
        assert shown == str(default), f"{name}: documented {rows[name]!r}, default {default!r}"
    assert set(rows) == {name for name, _, _ in documented_settings()}


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        Settings().api_port = 1  # type: ignore[misc]

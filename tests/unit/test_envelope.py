"""Envelope encryption: sealed values open only with their master key and in their own
place, data keys are made once for every process, a new master key re-wraps them without
touching the data, and values stored before encryption was on still read."""

from __future__ import annotations

import base64
import os

import pytest

from app import redis_keys
from app.crypto.envelope import Envelope, KeyMissing, is_sealed
from app.crypto.master import parse_master_key
from app.redis_client import get_bytes_redis
from app.settings import load_settings


@pytest.fixture
def client():
    r = get_bytes_redis()
    r.delete(redis_keys.DATA_KEYS, redis_keys.DATA_KEY_ACTIVE)
    yield r
    r.delete(redis_keys.DATA_KEYS, redis_keys.DATA_KEY_ACTIVE)


def test_a_sealed_value_opens_only_in_its_place_and_with_its_key(client):
    master = os.urandom(32)
    sealed = Envelope(client, master).seal(b'{"text": "planted"}', "result:job1")
    assert is_sealed(sealed) and b"planted" not in sealed
    other_process = Envelope(client, master)  # finds the data key in Redis
    assert other_process.open(sealed, "result:job1") == b'{"text": "planted"}'
    with pytest.raises(KeyMissing, match="another place"):
        other_process.open(sealed, "result:job2")
    with pytest.raises(KeyMissing, match="wrapped by master key"):
        Envelope(client, os.urandom(32)).open(sealed, "result:job1")
    with pytest.raises(KeyMissing, match="no master key"):
        Envelope(client, None).open(sealed, "result:job1")


def test_values_from_before_encryption_read_as_they_are_and_off_stores_clear(client):
    assert Envelope(client, os.urandom(32)).open(b'{"a": 1}', "params:x") == b'{"a": 1}'
    assert Envelope(client, None).seal(b"clear", "params:x") == b"clear"


def test_every_process_seals_with_one_data_key(client):
    master = os.urandom(32)
    first, second = Envelope(client, master), Envelope(client, master)
    a, b = first.seal(b"1", "c"), second.seal(b"2", "c")
    assert a.split(b":")[1] == b.split(b":")[1]
    assert len(client.hgetall(redis_keys.DATA_KEYS)) == 1


def test_a_new_master_key_rewraps_data_keys_and_leaves_the_data(client):
    old, new = os.urandom(32), os.urandom(32)
    sealed = Envelope(client, old).seal(b"kept", "upload:u1")
    assert Envelope(client, old).rewrap(old, new) == 1
    assert Envelope(client, old).rewrap(old, new) == 0  # done already: nothing to redo
    assert Envelope(client, new).open(sealed, "upload:u1") == b"kept"
    assert Envelope(client, old).open(sealed, "upload:u1") == b"kept"  # not restarted yet
    assert Envelope(client, new).forget_previous() == 1
    with pytest.raises(KeyMissing):
        Envelope(client, old).open(sealed, "upload:u1")
    assert Envelope(client, new).open(sealed, "upload:u1") == b"kept"


def test_the_master_key_setting_is_checked_when_settings_load(tmp_path):
    key = base64.b64encode(os.urandom(32)).decode()
    assert load_settings({"DIA3_ENCRYPTION_KEY": key}).master_key == parse_master_key(key)
    with pytest.raises(ValueError, match="DIA3_ENCRYPTION_KEY: must be 32 bytes"):
        load_settings({"DIA3_ENCRYPTION_KEY": base64.b64encode(b"short").decode()})
    with pytest.raises(ValueError, match="not base64"):
        load_settings({"DIA3_ENCRYPTION_KEY": "not base64!"})
    (tmp_path / "key").write_text(key + "\n")
    settings = load_settings({"DIA3_ENCRYPTION_KEY_FILE": str(tmp_path / "key")})
    assert settings.master_key == parse_master_key(key)
    assert load_settings({}).master_key is None
    assert key not in repr(load_settings({"DIA3_ENCRYPTION_KEY": key}))


def test_step_messages_are_sealed_and_control_messages_are_not(settings_env):
    from app.broker import create_celery
    settings_env(DIA3_ENCRYPTION_KEY=base64.b64encode(os.urandom(32)).decode())
    app = create_celery()
    assert app.conf.task_serializer == app.conf.result_serializer == "dia3-sealed"
    assert set(app.conf.accept_content) == {"json", "dia3-sealed"}
    assert app.control.mailbox.serializer == "json"  # Flower reads these without the key
    settings_env(DIA3_ENCRYPTION_KEY="")
    assert create_celery().conf.task_serializer == "json"

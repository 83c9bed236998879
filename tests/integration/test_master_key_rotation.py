"""``dia3 keys rotate-master``: the data keys are re-wrapped under a new master key while the
data stays as it is, processes with the old key go on working until ``--forget-previous``,
and both steps are audited."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest

from app import audit, redis_keys
from app.crypto.envelope import Envelope, KeyMissing
from app.crypto.master import master_id
from app.redis_client import get_bytes_redis
from tests.conftest import ROOT


def dia3(key: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DIA3_ENCRYPTION_KEY": key}
    return subprocess.run([sys.executable, "-m", "app.cli", "keys", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def data_keys():
    r = get_bytes_redis()
    r.delete(redis_keys.DATA_KEYS, redis_keys.DATA_KEY_ACTIVE)
    yield r
    r.delete(redis_keys.DATA_KEYS, redis_keys.DATA_KEY_ACTIVE)


def test_rotating_the_master_key_online(data_keys, tmp_path):
    old, new = os.urandom(32), os.urandom(32)
    old_text, new_text = (base64.b64encode(k).decode() for k in (old, new))
    sealed = Envelope(data_keys, old).seal(b"a tenant's result", "result:j1")
    (tmp_path / "new").write_text(new_text + "\n")

    wrong = dia3(base64.b64encode(os.urandom(32)).decode(), "rotate-master",
                 "--new-key-file", str(tmp_path / "new"))
    assert wrong.returncode != 0 and "not by the configured one" in wrong.stderr
    done = dia3(old_text, "rotate-master", "--new-key-file", str(tmp_path / "new"))
    assert done.returncode == 0, done.stderr
    assert f"1 data keys wrapped under master key {master_id(new)}" in done.stdout
    assert Envelope(data_keys, new).open(sealed, "result:j1") == b"a tenant's result"
    assert Envelope(data_keys, old).open(sealed, "result:j1") == b"a tenant's result"
    [entry] = audit.query(action="keys.rotate_master", outcome="ok",
                          target=f"master-key:{master_id(new)}").items
    assert entry.actor == "cli" and entry.detail == {"previous": master_id(old),
                                                     "data_keys": 1}
    assert old_text not in done.stdout + done.stderr and new_text not in str(entry.to_dict())

    forgot = dia3(new_text, "rotate-master", "--forget-previous")
    assert forgot.returncode == 0, forgot.stderr
    with pytest.raises(KeyMissing):
        Envelope(data_keys, old).open(sealed, "result:j1")
    assert Envelope(data_keys, new).open(sealed, "result:j1") == b"a tenant's result"
    assert audit.query(action="keys.forget_previous_master").items[0].detail == \
        {"data_keys": 1}

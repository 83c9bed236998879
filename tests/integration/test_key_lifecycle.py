"""API key lifecycle: expiry, rotation and last use (in-process API, real Redis)."""

import time

import pytest
from click.testing import CliRunner

from app.auth.durations import parse_duration
from app.auth.keys import LAST_USED, PREFIX, USE_GUARD, KeyRejected, digest
from app.extensions import key_store
from app.redis_client import get_redis
from tests.conftest import ApiClient
from tests.integration.test_api_contract import assert_error


def test_an_expired_key_is_refused_as_expired(flask_app):
    key, _ = key_store().create("analyst", "exp", expires_at=time.time() - 1)
    body = assert_error(ApiClient(flask_app, key).get("/api/v1/jobs"), 401, "Expired")
    assert "revoked" not in body["message"]
    assert key_store().lookup(key) is None  # every surface (MCP too) refuses it


def test_a_key_created_with_an_expiry_works_until_then(make_client, flask_app):
    admin = make_client("admin")
    created = admin.post("/api/v1/keys", json={"role": "viewer", "tenant": "exp",
                                               "expires_in_days": 30}).get_json()
    expires = time.time() + 30 * 86400
    listed = {k["key_id"]: k for k in admin.get("/api/v1/keys").get_json()}[created["key_id"]]
    assert listed["expires_at"] == created["expires_at"] and "key" not in listed
    client = ApiClient(flask_app, created["key"])
    assert client.get("/api/v1/jobs").status_code == 200
    digest_key = PREFIX + digest(created["key"])
    stored = float(get_redis().hget(digest_key, "expires_at"))
    assert abs(stored - expires) < 60
    get_redis().hset(digest_key, "expires_at", repr(time.time() - 1))  # time moves on
    assert_error(client.get("/api/v1/jobs"), 401, "Expired")
    assert_error(admin.post("/api/v1/keys", json={"role": "viewer", "tenant": "x",
                                                  "expires_in_days": 0}), 422)


def test_rotation_refuses_the_old_secret_and_accepts_the_new(make_client, flask_app):
    admin = make_client("admin")
    created = admin.post("/api/v1/keys", json={"role": "analyst", "tenant": "rot"}).get_json()
    old = ApiClient(flask_app, created["key"])
    job = old.submit("smoke", {"start": 1}).get_json()
    rotated = admin.post(f"/api/v1/keys/{created['key_id']}/rotate")
    assert rotated.status_code == 200, rotated.get_json()
    fresh = rotated.get_json()
    assert fresh["key"] != created["key"]
    assert (fresh["key_id"], fresh["role"], fresh["tenant"]) == (created["key_id"], "analyst",
                                                                 "rot")
    assert_error(old.get("/api/v1/jobs"), 401, "Invalid or revoked")
    new = ApiClient(flask_app, fresh["key"])
    assert new.get(f"/api/v1/jobs/{job['id']}").status_code == 200  # same tenant, same jobs
    assert [k["key_id"] for k in admin.get("/api/v1/keys").get_json()].count(
        created["key_id"]) == 1
    assert_error(admin.post("/api/v1/keys/nope/rotate"), 404)
    assert_error(make_client("analyst").post(f"/api/v1/keys/{created['key_id']}/rotate"), 403)


def test_last_use_is_recorded_at_most_once_a_minute(make_client):
    admin = make_client("admin")
    created = admin.post("/api/v1/keys", json={"role": "viewer", "tenant": "use"}).get_json()
    assert created["last_used_at"] is None
    key_id = created["key_id"]
    key_store().authenticate(created["key"])
    first = get_redis().hget(LAST_USED, key_id)
    assert first is not None
    listed = {k["key_id"]: k for k in admin.get("/api/v1/keys").get_json()}[key_id]
    assert listed["last_used_at"] is not None
    get_redis().hset(LAST_USED, key_id, "1.0")
    key_store().authenticate(created["key"])  # within the minute: no second write
    assert get_redis().hget(LAST_USED, key_id) == "1.0"


def test_cli_creates_expiring_keys_and_rotates(flask_app):
    from app.cli.main import cli
    runner = CliRunner()
    made = runner.invoke(cli, ["keys", "create", "--role", "viewer", "--tenant", "clik",
                               "--expires-in", "30d"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    key_id = key.split("_")[1]
    assert key_store().describe(key_id)["expires_at"] > time.time() + 29 * 86400
    rotated = runner.invoke(cli, ["keys", "rotate", key_id])
    assert rotated.exit_code == 0, rotated.output
    assert key_store().lookup(key) is None
    assert key_store().lookup(rotated.stdout.strip().splitlines()[-1]).key_id == key_id
    bad = runner.invoke(cli, ["keys", "create", "--role", "viewer", "--tenant", "clik",
                              "--expires-in", "30"])
    assert bad.exit_code != 0 and "duration" in bad.output


def test_durations():
    assert parse_duration("30d") == 30 * 86400 and parse_duration("12h") == 43200


@pytest.mark.parametrize("text", ["30", "0d", "d", "3y"])
def test_ambiguous_or_empty_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_rotation_and_revocation_take_effect_on_the_next_request_on_every_replica(
        tmp_path):
    """Two real API processes on one Redis: a change through one is seen by the other."""
    from contextlib import ExitStack

    import requests

    from tests.conftest import ADMIN_KEY
    from tests.ui.processes import serving

    with ExitStack() as stack:
        for name in ("one", "two"):
            (tmp_path / name).mkdir()
        one, two = (stack.enter_context(serving("api", {"DIA3_API_WORKERS": "1"},
                                                tmp_path / name, "/healthz"))
                    for name in ("one", "two"))
        admin = {"X-API-Key": ADMIN_KEY}
        created = requests.post(f"{one}/api/v1/keys", headers=admin, timeout=30,
                                json={"role": "viewer", "tenant": "replicas"}).json()

        def status(base: str, key: str) -> int:
            return requests.get(f"{base}/api/v1/jobs", headers={"X-API-Key": key},
                                timeout=30).status_code
        assert status(two, created["key"]) == 200
        rotated = requests.post(f"{one}/api/v1/keys/{created['key_id']}/rotate",
                                headers=admin, timeout=30).json()
        assert status(two, created["key"]) == 401 and status(two, rotated["key"]) == 200
        requests.delete(f"{two}/api/v1/keys/{created['key_id']}", headers=admin, timeout=30)
        assert status(one, rotated["key"]) == 401


def test_authentication_is_one_round_trip_and_an_expired_key_records_no_use(monkeypatch):
    store = key_store()
    usable, principal = store.create("viewer", "rt")
    expired, old = store.create("viewer", "rt", expires_at=time.time() - 1)
    store.authenticate(usable)  # the script is loaded into Redis once
    get_redis().hdel(LAST_USED, principal.key_id)
    get_redis().delete(USE_GUARD + principal.key_id)
    sent = []
    execute = store.r.execute_command
    monkeypatch.setattr(store.r, "execute_command",
                        lambda *args, **kw: sent.append(args[0]) or execute(*args, **kw))
    assert store.authenticate(usable) == principal
    assert sent == ["EVALSHA"]  # lookup, expiry check and the guarded use record at once
    assert get_redis().hget(LAST_USED, principal.key_id) is not None
    with pytest.raises(KeyRejected) as refused:
        store.authenticate(expired)
    assert refused.value.reason == "expired"
    assert get_redis().hget(LAST_USED, old.key_id) is None

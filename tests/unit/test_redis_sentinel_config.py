"""Configuration with Redis Sentinel: the settings are checked when read, and every client
(DIA3's own, Celery's broker and result backend, the rate limiter) is pointed at the
Sentinels with the same master name and credentials. The failover itself is
tests/integration/test_redis_failover.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import redis
import redis.sentinel

from app.api.ratelimit import storage_options, storage_uri
from app.broker import celery_config, create_celery
from app.broker_backend import NoWaitSentinelBackend
from app.broker_transport import SentinelChannel, SentinelTransport
from app.redis_client import make_client, redis_url
from app.settings import get_settings, load_settings

SENTINELS = "127.0.0.1:26379,sentinel-2:26380"


def test_sentinel_addresses_are_checked_when_read():
    for bad in ("127.0.0.1", "host:port", "h:0", ":26379"):
        with pytest.raises(ValueError, match="DIA3_REDIS_SENTINELS"):
            load_settings({"DIA3_REDIS_SENTINELS": bad})
    s = load_settings({"DIA3_REDIS_SENTINELS": " a:1 , b:2 "})
    assert s.sentinel_hosts == [("a", 1), ("b", 2)] and not s.embedded_redis
    assert s.redis_master_name == "dia3" and s.redis_min_replicas == 0
    assert s.redis_replica_timeout_ms == 500


def test_passwords_come_from_their_files_and_are_never_shown(tmp_path):
    (tmp_path / "pw").write_text("from-file\n")
    s = load_settings({"DIA3_REDIS_PASSWORD_FILE": str(tmp_path / "pw"),
                       "DIA3_REDIS_SENTINEL_PASSWORD": "sentinel-secret"})
    assert s.redis_auth == "from-file" and s.sentinel_auth == "sentinel-secret"
    assert "sentinel-secret" not in repr(s) and s.redacted()["redis_sentinel_password"] == "***"
    missing = load_settings({"DIA3_REDIS_PASSWORD_FILE": str(tmp_path / "absent")})
    with pytest.raises(ValueError, match="DIA3_REDIS_PASSWORD_FILE"):
        missing.redis_auth  # noqa: B018


@pytest.fixture
def sentinel_env(settings_env):
    settings_env(DIA3_REDIS_SENTINELS=SENTINELS, DIA3_REDIS_MASTER_NAME="ha",
                 DIA3_REDIS_PASSWORD="p@ss;word", DIA3_REDIS_SENTINEL_PASSWORD="s-pw")


def test_celery_broker_and_backend_follow_the_sentinels(sentinel_env):
    url = redis_url()
    assert url == "sentinel://127.0.0.1:26379;sentinel://sentinel-2:26380"
    config = celery_config(get_settings(), url)
    parts = ["sentinel://:p%40ss%3Bword@127.0.0.1:26379",
             "sentinel://:p%40ss%3Bword@sentinel-2:26380"]
    assert config["broker_url"] == ";".join(parts)
    assert config["result_backend"].endswith("NoWaitSentinelBackend+" + ";".join(parts))
    for options in (config["broker_transport_options"],
                    config["result_backend_transport_options"]):
        assert options["master_name"] == "ha"
        assert options["sentinel_kwargs"]["password"] == "s-pw"
    backend = create_celery().backend
    assert isinstance(backend, NoWaitSentinelBackend)
    assert backend.connparams["password"] == "p@ss;word"
    assert [(h["host"], h["port"]) for h in backend.connparams["hosts"]] == [
        ("127.0.0.1", 26379), ("sentinel-2", 26380)]


def test_dia3_clients_and_the_rate_limiter_ask_the_sentinels(sentinel_env):
    client = make_client(redis_url())
    pool = client.connection_pool
    assert isinstance(pool, redis.sentinel.SentinelConnectionPool)
    assert pool.service_name == "ha" and pool.connection_kwargs["password"] == "p@ss;word"
    sentinels = pool.sentinel_manager.sentinels
    assert [s.connection_pool.connection_kwargs["port"] for s in sentinels] == [26379, 26380]
    assert sentinels[0].connection_pool.connection_kwargs["password"] == "s-pw"
    assert storage_uri(redis_url()) == "redis+sentinel://127.0.0.1:26379,sentinel-2:26380/ha"
    options = storage_options(redis_url())
    assert options["use_replicas"] is False and options["password"] == "p@ss;word"
    assert options["sentinel_kwargs"]["password"] == "s-pw"


def test_sentinel_tls_verifies_the_sentinels_and_the_primary(settings_env, tmp_path):
    settings_env(DIA3_REDIS_SENTINELS=SENTINELS, DIA3_REDIS_SENTINEL_TLS="true",
                 DIA3_REDIS_TLS_CA_FILE=str(tmp_path / "ca.crt"))
    pool = make_client(redis_url()).connection_pool
    assert pool.connection_class is redis.sentinel.SentinelManagedSSLConnection
    assert pool.connection_kwargs["ssl_ca_certs"] == str(tmp_path / "ca.crt")
    sentinel_kwargs = pool.sentinel_manager.sentinels[0].connection_pool.connection_kwargs
    assert sentinel_kwargs["ssl_ca_certs"] == str(tmp_path / "ca.crt")
    config = celery_config(get_settings(), redis_url())
    assert config["broker_use_ssl"]["ssl_ca_certs"] == str(tmp_path / "ca.crt")
    assert config["broker_transport_options"]["sentinel_kwargs"]["ssl"] is True


def test_sentinel_urls_get_the_transport_that_survives_closing_a_lost_connection(sentinel_env):
    connection = create_celery().connection_for_write()
    assert connection.transport_cls == "sentinel"
    assert isinstance(connection.transport, SentinelTransport)
    closing = SentinelChannel.__new__(SentinelChannel)  # as kombu leaves it: client cleared
    closing.connection = SimpleNamespace(client=None)
    with pytest.raises(redis.ConnectionError):  # ignored by kombu while closing
        closing._connparams()

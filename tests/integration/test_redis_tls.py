"""DIA3's Redis clients over TLS against a real redis-server that speaks only TLS and requires
client certificates (as in the Compose stack): the job store's client, Celery's broker and
result backend connect with ``rediss://`` and the DIA3_REDIS_TLS_* files; a client without a
certificate, or one that trusts another CA, is refused."""

from __future__ import annotations

import subprocess

import pytest
import redis

from tests.conftest import free_port, wait_for
from tests.deploy.tools import COMPOSE_DIR, run


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """The stack's own certificate script: a private CA, Redis's and a client certificate."""
    directory = tmp_path_factory.mktemp("tls")
    result = run(["sh", str(COMPOSE_DIR / "secrets" / "make-dev-secrets.sh"), str(directory)])
    assert result.returncode == 0, result.stderr
    return directory


@pytest.fixture(scope="module")
def tls_redis(certificates, tmp_path_factory):
    port = free_port()
    data = tmp_path_factory.mktemp("redis-tls")
    process = subprocess.Popen(
        ["redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
         "--tls-cert-file", str(certificates / "redis.crt"),
         "--tls-key-file", str(certificates / "redis.key"),
         "--tls-ca-cert-file", str(certificates / "internal-ca.crt"),
         "--tls-auth-clients", "yes", "--save", "", "--appendonly", "no", "--dir", str(data)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port, ssl=True,
                         ssl_ca_certs=str(certificates / "internal-ca.crt"),
                         ssl_certfile=str(certificates / "redis-client.crt"),
                         ssl_keyfile=str(certificates / "redis-client.key"))

    def up() -> bool:
        assert process.poll() is None, "redis-server exited"
        try:
            return client.ping()
        except redis.ConnectionError:
            return False
    wait_for(up, 20, what="redis-server with TLS")
    yield f"rediss://localhost:{port}/0"
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def tls_settings(settings_env, certificates, tls_redis):
    settings_env(DIA3_REDIS_URL=tls_redis,
                 DIA3_REDIS_TLS_CA_FILE=str(certificates / "internal-ca.crt"),
                 DIA3_REDIS_TLS_CERT_FILE=str(certificates / "redis-client.crt"),
                 DIA3_REDIS_TLS_KEY_FILE=str(certificates / "redis-client.key"))
    return tls_redis


def test_dias_clients_connect_with_the_configured_certificates(tls_settings):
    from app.broker import create_celery
    from app.redis_client import make_client
    client = make_client(tls_settings)
    client.set("dia3:tls-probe", "ok")
    assert client.get("dia3:tls-probe") == "ok"
    celery = create_celery()
    with celery.connection_for_write() as connection:  # the broker (kombu)
        connection.ensure_connection(max_retries=1)
        channel = connection.default_channel
        channel.client.lpush("dia3-tls-queue", "m")
        assert channel.client.llen("dia3-tls-queue") == 1
    celery.backend.set("dia3-tls-result", "r")  # the result backend
    assert celery.backend.get("dia3-tls-result") == b"r"


def test_clients_without_a_certificate_or_trusting_another_ca_are_refused(
        tls_settings, certificates, tmp_path, settings_env):
    from app.redis_client import make_client
    settings_env(DIA3_REDIS_TLS_CERT_FILE="", DIA3_REDIS_TLS_KEY_FILE="")
    with pytest.raises(redis.ConnectionError):
        make_client(tls_settings).ping()  # Redis asks for a client certificate
    other = tmp_path / "other"
    assert run(["sh", str(COMPOSE_DIR / "secrets" / "make-dev-secrets.sh"),
                str(other)]).returncode == 0
    settings_env(DIA3_REDIS_TLS_CA_FILE=str(other / "internal-ca.crt"),
                 DIA3_REDIS_TLS_CERT_FILE=str(certificates / "redis-client.crt"),
                 DIA3_REDIS_TLS_KEY_FILE=str(certificates / "redis-client.key"))
    with pytest.raises(redis.ConnectionError):
        make_client(tls_settings).ping()  # Redis's certificate is not of that CA
    with pytest.raises(redis.ConnectionError):
        make_client(tls_settings.replace("rediss://", "redis://")).ping()  # plain text

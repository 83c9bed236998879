"""The high-availability override (compose/docker-compose.ha.yml), validated by the real
Compose v2 binary over the production file: a Redis primary with two replicas and three
Sentinels, all on TLS, and every DIA3 component finding the primary through the Sentinels."""

from __future__ import annotations

import json
import os

import pytest

from tests.deploy.test_compose import COMPOSE_FILE, DIA3_SERVICES
from tests.deploy.tools import COMPOSE_DIR, compose_binary, run

HA_FILE = COMPOSE_DIR / "docker-compose.ha.yml"
SENTINELS = ["redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3"]


@pytest.fixture(scope="module")
def ha():
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DIA3_", "COMPOSE_"))}
    result = run([compose_binary(), "--project-directory", str(COMPOSE_DIR), "-f",
                  str(COMPOSE_FILE), "-f", str(HA_FILE), "--env-file",
                  str(COMPOSE_DIR / ".env.example"), "config", "--format", "json"], env=environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_primary_two_replicas_and_three_sentinels_on_tls(ha):
    services = ha["services"]
    for name in ("redis-replica-1", "redis-replica-2"):
        command = services[name]["command"]
        assert command[command.index("--replicaof") + 1:][:2] == ["redis", "6379"]
        assert command[command.index("--port") + 1] == "0"  # TLS only
        assert command[command.index("--tls-replication") + 1] == "yes"
        assert services[name]["image"] == services["redis"]["image"]
    for name in SENTINELS:
        script = services[name]["command"][0]
        assert "sentinel monitor dia3 redis 6379 2" in script
        assert "port 0\ntls-port 26379" in script and "tls-auth-clients yes" in script
        assert services[name]["environment"]["SENTINEL_NAME"] == name
        assert services[name]["healthcheck"]["test"][:4] == ["CMD", "redis-cli", "-p", "26379"]
    volumes = {v["source"] for name in [*SENTINELS, "redis-replica-1", "redis-replica-2"]
               for v in services[name]["volumes"]}
    assert len(volumes) == 5  # each its own


def test_every_dia3_component_follows_the_sentinels_and_waits_for_a_replica(ha):
    services = ha["services"]
    for name in DIA3_SERVICES:
        env = services[name]["environment"]
        assert env["DIA3_REDIS_URL"] == "", name
        assert env["DIA3_REDIS_SENTINELS"] == ",".join(f"{s}:26379" for s in SENTINELS)
        assert env["DIA3_REDIS_SENTINEL_TLS"] == "true" and env["DIA3_REDIS_MIN_REPLICAS"] == "1"
        assert env["DIA3_REDIS_TLS_CA_FILE"] == "/run/secrets/internal_ca"  # kept from the base
        assert set(SENTINELS) <= set(services[name]["depends_on"]), name

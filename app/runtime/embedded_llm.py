"""An embedded llama.cpp server (OpenAI-compatible) owned by the ``dia3 up`` that starts it.

It serves the GGUF file of DIA3_LLM_MODEL_PATH, or the bundled SmolLM2-135M-Instruct model,
through ``app.runtime.llm_server``; the ``embedded`` LLM backend reaches it over HTTP like any
OpenAI-compatible server (a worker on another machine by DIA3_LLM_SERVER_URL). Its token is
generated into ``<data dir>/llm-token`` (mode 0600). Finding a sibling's server, choosing
another port and stopping are shared with the embedded Chroma server
(:mod:`app.runtime.embedded_server`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import requests

from app.runtime.embedded_server import EmbeddedServer

TOKEN_FILE = "llm-token"


def token_path(data_dir: Path) -> Path:
    """Where the embedded server's token is kept."""
    return Path(data_dir).resolve() / TOKEN_FILE


def answers(url: str) -> bool:
    """True when an LLM server that reports its context window answers at ``url``."""
    try:
        response = requests.get(f"{url}/props", timeout=1)
        return response.ok and "default_generation_settings" in response.json()
    except (requests.RequestException, ValueError):
        return False


class EmbeddedLLM(EmbeddedServer):
    """Start, find and stop the embedded LLM server of a data directory."""

    name = "LLM"
    subdir = "llm"
    token_file = TOKEN_FILE
    start_timeout = 120.0  # loading a bigger GGUF file takes a while

    def __init__(self, data_dir: Path, port: int, model: Path, n_ctx: int = 4096,
                 threads: int = 0, host: str = "127.0.0.1"):
        super().__init__(data_dir, port, host)
        self.model, self.n_ctx, self.threads = Path(model), n_ctx, threads

    def command(self) -> list[str]:
        return [sys.executable, "-m", "app.runtime.llm_server", "--model", str(self.model),
                "--host", self.host, "--port", str(self.port),
                "--token-file", str(self.token_path), "--n-ctx", str(self.n_ctx),
                "--threads", str(self.threads)]

    def answers(self, url: str) -> bool:
        return answers(url)

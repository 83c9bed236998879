"""``dia3 llm-server``: llama.cpp's OpenAI-compatible server for a GGUF model, requiring
DIA3_LLM_SERVER_KEY (the ``embedded`` backend's server as a service of its own, e.g. in
Compose; ``dia3 up`` starts an embedded one with a generated key)."""

from __future__ import annotations

from pathlib import Path

import click

from app.runtime import process as runtime
from app.settings import get_settings


@click.command("llm-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address")
@click.option("--port", type=int, default=None, help="Port (DIA3_LLM_SERVER_PORT)")
@click.option("--model", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="GGUF file (default DIA3_LLM_MODEL_PATH, else the bundled SmolLM2-135M)")
def llm_server(host: str, port: int | None, model: Path | None) -> None:
    """Run the LLM server of the `embedded` backend; clients send DIA3_LLM_SERVER_KEY."""
    settings = get_settings()
    if not settings.llm_server_key:
        raise click.ClickException("set DIA3_LLM_SERVER_KEY: the server refuses clients "
                                   "without it, and DIA3's workers send it")
    from app.runtime.llm_model import unavailable_reason
    problem = unavailable_reason(str(model or settings.llm_model_path))
    if problem:
        raise click.ClickException(problem)
    from app.runtime.llm_model import model_path
    runtime.setup_logging()
    from app.runtime.llm_server import serve
    serve(model_path(str(model or settings.llm_model_path)), host,
          port or settings.llm_server_port, settings.llm_server_key,
          settings.llm_server_context_tokens, settings.llm_server_threads)


COMMANDS = (llm_server,)

"""llama.cpp's OpenAI-compatible server (``llama-cpp-python[server]``) for one GGUF model,
with a bearer token and a ``/props`` route that reports its context window.

``python -m llama_cpp.server`` takes its API key on the command line (visible to every user
in the process list); this wrapper reads it from ``--token-file``. llama.cpp's own C++ server
tells clients its context window at ``GET /props`` (``default_generation_settings.n_ctx``)
and the Python one does not, so the route is added here: DIA3's OpenAI backend reads the
window from either. ``python -m app.runtime.llm_server --model FILE --host H --port P
--token-file F [--n-ctx N] [--threads N]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.runtime.llm_model import model_alias


def server_app(model: Path, token: str, n_ctx: int, threads: int = 0):
    """The ASGI app serving ``model`` to clients that send ``token``."""
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    if not token:
        raise ValueError("the LLM server needs a token")
    alias = model_alias(model)
    extra = {"n_threads": threads, "n_threads_batch": threads} if threads > 0 else {}
    app = create_app(server_settings=ServerSettings(api_key=token),
                     model_settings=[ModelSettings(model=str(model), model_alias=alias,
                                                   n_ctx=n_ctx, verbose=False, **extra)])

    def props() -> dict:
        return {"model_alias": alias, "default_generation_settings": {"n_ctx": n_ctx}}

    app.add_api_route("/props", props, methods=["GET"])
    return app


def serve(model: Path, host: str, port: int, token: str, n_ctx: int, threads: int = 0) -> None:
    import uvicorn

    uvicorn.run(server_app(model, token, n_ctx, threads), host=host, port=port,
                log_level="warning", access_log=False)


def main(argv: list[str] | None = None) -> None:
    from app.runtime.private import restrict_umask

    parser = argparse.ArgumentParser(prog="python -m app.runtime.llm_server")
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-file", type=Path, required=True)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=0)
    options = parser.parse_args(argv)
    restrict_umask()
    serve(options.model, options.host, options.port, options.token_file.read_text().strip(),
          options.n_ctx, options.threads)


if __name__ == "__main__":
    main()

"""A Chroma server that refuses clients without DIA3's token.

``chroma run`` (the Rust server of chromadb 1.x) has no authentication: any local process
could list and delete every tenant's collections. chromadb also ships its FastAPI server
(``chromadb.server.fastapi``) with token authentication
(``TokenAuthenticationServerProvider``), over the same storage engine; this module runs that
one with uvicorn. The token travels in ``X-Chroma-Token``; only the heartbeat stays open, for
health checks. ``python -m app.runtime.chroma_server --path DIR --host H --port P`` reads the
token from ``--token-file`` or ``DIA3_CHROMA_TOKEN``, never from the command line (visible to
every user in the process list).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.rust import RustBindingsAPI
from chromadb.api.types import GetResult, QueryResult
from overrides import override

TOKEN_HEADER = "X-Chroma-Token"


class StorageAPI(RustBindingsAPI):
    """The storage engine behind the server. chromadb 1.5's FastAPI server calls
    ``.tolist()`` on the embeddings it returns (0.x's engine gave numpy arrays) while the
    Rust engine gives lists, so a read that includes embeddings (a backup) failed."""

    @override
    def _get(self, *args: Any, **kwargs: Any) -> GetResult:
        result = super()._get(*args, **kwargs)
        if result["embeddings"] is not None:
            result["embeddings"] = [np.asarray(vector) for vector in result["embeddings"]]
        return result

    @override
    def _query(self, *args: Any, **kwargs: Any) -> QueryResult:
        result = super()._query(*args, **kwargs)
        if result["embeddings"] is not None:
            result["embeddings"] = [[np.asarray(vector) for vector in row]
                                    for row in result["embeddings"]]
        return result


def server_app(path: Path, token: str):
    """The ASGI app of a persistent Chroma server at ``path`` that requires ``token``."""
    from chromadb.config import Settings
    from chromadb.server.fastapi import FastAPI

    if not token:
        raise ValueError("the Chroma server needs a token (DIA3_CHROMA_TOKEN)")
    settings = Settings(
        is_persistent=True, persist_directory=str(path), anonymized_telemetry=False,
        allow_reset=False, chroma_api_impl=f"{__name__}.{StorageAPI.__name__}",
        chroma_server_authn_provider="chromadb.auth.token_authn."
                                     "TokenAuthenticationServerProvider",
        chroma_server_authn_credentials=token,
        chroma_auth_token_transport_header=TOKEN_HEADER)
    return FastAPI(settings).app()


def serve(path: Path, host: str, port: int, token: str) -> None:
    import uvicorn

    Path(path).mkdir(mode=0o700, parents=True, exist_ok=True)
    uvicorn.run(server_app(path, token), host=host, port=port, log_level="warning",
                access_log=False)


def main(argv: list[str] | None = None) -> None:
    from app.runtime.private import prepare_process
    from app.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m app.runtime.chroma_server")
    parser.add_argument("--path", required=True, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-file", type=Path, default=None)
    options = parser.parse_args(argv)
    prepare_process(options.path)
    token = (options.token_file.read_text().strip() if options.token_file
             else get_settings().chroma_token)
    serve(options.path, options.host, options.port, token)


if __name__ == "__main__":
    main()

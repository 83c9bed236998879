"""``dia3 chroma``: a Chroma server that requires DIA3_CHROMA_TOKEN (the knowledge base's
server in the Compose stack and the chart; ``dia3 up``, ``api`` and ``worker`` start an
embedded one of their own, with a generated token)."""

from __future__ import annotations

from pathlib import Path

import click

from app.runtime import process as runtime
from app.settings import get_settings


@click.command("chroma")
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address")
@click.option("--port", type=int, default=None, help="Port (DIA3_CHROMA_PORT)")
@click.option("--path", type=click.Path(path_type=Path), default=None,
              help="Where the data lives (default <DIA3_DATA_DIR>/chroma)")
def chroma(host: str, port: int | None, path: Path | None) -> None:
    """Run a Chroma server that refuses clients without DIA3_CHROMA_TOKEN."""
    settings = get_settings()
    if not settings.chroma_token:
        raise click.ClickException("set DIA3_CHROMA_TOKEN: the server refuses clients "
                                   "without it, and DIA3's components send it")
    runtime.setup_logging()
    from app.runtime.chroma_server import serve
    serve(path or settings.data_path / "chroma", host, port or settings.chroma_port,
          settings.chroma_token)


COMMANDS = (chroma,)

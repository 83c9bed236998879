"""An embedded Chroma server owned by the ``dia3`` process that starts it.

Chroma's in-process mode keeps its vector index in the memory of one process: a second process
(an API replica, another prefork worker) reading the same directory fails ("Error creating
hnsw segment reader: Nothing found on disk") or misses writes. DIA3 always has several
processes, so "embedded" means a local Chroma server (shipped with the chromadb package) with
its data under the data directory, reached over HTTP like a cluster's Chroma server: one code
path for both.

It is Chroma's FastAPI server with token authentication (``app.runtime.chroma_server``), not
``chroma run``, which lets any local client list and delete every collection. The token is
generated once into ``<data dir>/chroma-token`` (mode 0600), where DIA3's clients find it.
Finding a sibling's server, choosing another port and stopping are shared with the other
embedded servers (:mod:`app.runtime.embedded_server`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import requests

from app.runtime.embedded_server import EmbeddedServer

TOKEN_FILE = "chroma-token"


def token_path(data_dir: Path) -> Path:
    """Where the embedded server's token is kept."""
    return Path(data_dir).resolve() / TOKEN_FILE


def answers(url: str) -> bool:
    """True when a Chroma server answers its heartbeat at ``url``."""
    try:
        return requests.get(f"{url}/api/v2/heartbeat", timeout=1).ok
    except requests.RequestException:
        return False


class EmbeddedChroma(EmbeddedServer):
    """Start, find and stop the embedded Chroma server of a data directory."""

    name = "Chroma"
    subdir = "chroma"
    token_file = TOKEN_FILE

    def command(self) -> list[str]:
        return [sys.executable, "-m", "app.runtime.chroma_server", "--path", str(self.dir),
                "--host", self.host, "--port", str(self.port),
                "--token-file", str(self.token_path)]

    def answers(self, url: str) -> bool:
        return answers(url)

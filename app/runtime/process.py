"""Preparing a process to run a DIA3 component: Redis and Chroma (embedded or external),
metrics dir, logging, and the local API key and URL that ``dia3 up`` leaves in the data
directory for client commands in other shells."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import sys
from pathlib import Path

from app.logs import configure_logging
from app.runtime.embedded_chroma import EmbeddedChroma
from app.runtime.embedded_llm import EmbeddedLLM
from app.runtime.embedded_redis import EmbeddedRedis
from app.runtime.lifetime import process_alive
from app.runtime.private import write_private
from app.settings import get_settings, reload_settings

LOCAL_KEY_FILE = "local-api-key"
LOCAL_URL_FILE = "local-api-url"


def ensure_redis() -> EmbeddedRedis | None:
    """Make sure ``DIA3_REDIS_URL`` names a live Redis.

    With the variable unset, the embedded server of the data directory is used; it is started
    (and stopped at exit, or by the kernel should this process die) unless a sibling ``dia3``
    process already runs it. Returns the server when this process started it.
    """
    settings = get_settings()
    if not settings.embedded_redis:
        return None
    return _ensure_embedded(EmbeddedRedis(settings.data_path), "DIA3_REDIS_URL")


def ensure_chroma() -> EmbeddedChroma | None:
    """Make sure ``DIA3_CHROMA_URL`` names a live Chroma server (the knowledge base).

    With the variable unset, the embedded server of the data directory is used: started (and
    stopped at exit, or by the kernel should this process die) unless a sibling ``dia3``
    process already runs it. Child processes inherit the URL through the environment. Returns
    the server when this process started it.
    """
    settings = get_settings()
    if settings.chroma_url:
        return None
    return _ensure_embedded(EmbeddedChroma(settings.data_path, settings.chroma_port),
                            "DIA3_CHROMA_URL")


def ensure_llm_server() -> EmbeddedLLM | None:
    """Make sure ``DIA3_LLM_SERVER_URL`` names a live LLM server for the ``embedded`` backend,
    when this host can run one (the local-model extra is installed and a model file found).

    With the variable unset, the embedded llama.cpp server of the data directory is started
    (and stopped at exit, or by the kernel should this process die) unless a sibling ``dia3``
    process already runs it. Returns the server when this process started it; ``None`` too
    when it cannot run here (:func:`llm_server_problem` says why).
    """
    settings = get_settings()
    if settings.llm_server_url or llm_server_problem():
        return None
    from app.runtime.llm_model import model_path
    server = EmbeddedLLM(settings.data_path, settings.llm_server_port,
                         model_path(settings.llm_model_path),
                         n_ctx=settings.llm_server_context_tokens,
                         threads=settings.llm_server_threads)
    return _ensure_embedded(server, "DIA3_LLM_SERVER_URL")


def llm_server_problem() -> str | None:
    """Why no embedded LLM server can run on this host, or ``None`` when one can."""
    from app.runtime.llm_model import unavailable_reason
    return unavailable_reason(get_settings().llm_model_path)


def _ensure_embedded(server, variable: str):
    """Start ``server`` (or find a sibling's), publish its URL in ``variable`` for this
    process and its children, and stop it at exit when this process started it (a one-off
    command such as ``dia3 keys`` leaves no server behind)."""
    was_running = server.running()
    os.environ[variable] = server.start()
    reload_settings()
    if was_running:
        return None
    atexit.register(server.stop)
    return server


def prepare_metrics(role: str) -> Path:
    """A fresh multi-process metrics directory for this process group.

    Must run before ``prometheus_client`` is imported: it picks its storage mode on import.
    """
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before the metrics directory was set")
    root = get_settings().metrics_path
    remove_dead_metrics_dirs(root)
    path = root / f"{role}-{_host()}-{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


def _host() -> str:
    return socket.gethostname().replace("-", "_") or "host"


def remove_dead_metrics_dirs(root: Path) -> list[Path]:
    """Remove the metrics directories of this host's processes that are gone: an API or worker
    that was stopped or killed leaves its directory behind, and each start makes a new one.

    A directory is ``<role>-<host>-<pid>``; only this host's are judged, so a metrics
    directory on a volume that containers with other process namespaces share is never taken
    from a live process. Returns what was removed."""
    removed = []
    host = _host()
    for path in root.glob(f"*-{host}-*") if root.is_dir() else ():
        pid = path.name.rsplit("-", 1)[1]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed



def setup_logging() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)


def local_key_path() -> Path:
    return get_settings().data_path / LOCAL_KEY_FILE


def ensure_local_key() -> str:
    """The local admin key of this data directory, created on first run (file mode 0600)."""
    from app.extensions import key_store

    path = local_key_path()
    if path.exists():
        key = path.read_text().strip()
        if key_store().lookup(key):
            return key
    key, _ = key_store().create("admin", "default", name="local key (dia3 up)")
    write_private(path, key + "\n")
    return key


def client_key() -> str | None:
    settings = get_settings()
    if settings.api_key:
        return settings.api_key
    path = local_key_path()
    return path.read_text().strip() if path.exists() else None


def local_url_path() -> Path:
    return get_settings().data_path / LOCAL_URL_FILE


def publish_local_url(url: str) -> None:
    """Note where this data directory's ``dia3 up`` serves the API (until it stops)."""
    path = local_url_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(url + "\n")


def withdraw_local_url() -> None:
    local_url_path().unlink(missing_ok=True)


def client_api_url() -> str:
    """The API client commands talk to: DIA3_API_URL, else the one a running ``dia3 up`` of
    this data directory serves, else http://DIA3_API_HOST:DIA3_API_PORT."""
    settings = get_settings()
    path = local_url_path()
    if not settings.api_url and path.exists():
        return path.read_text().strip() or settings.client_api_url
    return settings.client_api_url

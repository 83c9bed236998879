"""DIA3's files are its user's alone.

The data directory holds every job's params and results (Redis' append-only file, result
files), the knowledge base (``chroma.sqlite3``), key hashes and the local secrets. Every
process DIA3 starts — the ``dia3`` command, ``python -m workers``, gunicorn, and the embedded
Redis and Chroma servers, which inherit it — runs with umask 077, so whatever they create is
0700 (directories) or 0600 (files) whatever the operator's umask; a data directory left
readable by an older version is closed on start.
"""

from __future__ import annotations

import os
import secrets
import signal
import stat
from collections.abc import Callable
from pathlib import Path

from app.runtime.lifetime import die_with_parent

UMASK = 0o077


def restrict_umask() -> None:
    """Files and directories this process (and its children) create are private."""
    os.umask(UMASK)


def private_child(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A ``preexec_fn`` for a server DIA3 starts: its files are private and it ends with
    this process (``sig`` from the kernel when the parent dies, even by SIGKILL)."""
    def prepare() -> None:
        restrict_umask()
        die_with_parent(sig)
    return prepare


def close_directory(path: Path) -> None:
    """Make an existing directory of ours 0700 (one created before umask 077 was used is
    0755, and so are the files in it); a directory of another owner is left alone."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
        try:
            path.chmod(0o700)
        except OSError:  # e.g. a read-only image directory nothing is written to
            pass


def prepare_process(data_dir: Path) -> None:
    """What every DIA3 process does first."""
    restrict_umask()
    close_directory(data_dir)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a 0600 file, in a 0700 directory."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        fh.write(text)


def generated_secret(path: Path, length: int = 18) -> str:
    """The secret kept in ``path`` (mode 0600), generated on first use. Written without a
    trailing newline (Chroma's token file is read as it is) and linked into place whole, so
    a process starting at the same moment reads the same secret, never an empty file."""
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        write_private(draft, secrets.token_urlsafe(length))
        try:
            os.link(draft, path)
        except FileExistsError:  # another process made it first
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()

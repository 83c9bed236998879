"""What an installed DIA3 (``pip install .``, as the container image does) contains: every
folder of app/, workers/ and ui/ with files in it, including the ones without an
``__init__.py`` (the bundled data, the dashboard's pages)."""

from __future__ import annotations

import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_source_and_data_folder_is_a_package_of_the_distribution(monkeypatch):
    from setuptools.config.setupcfg import read_configuration
    monkeypatch.chdir(ROOT)  # setup.cfg's find: runs from the checkout
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        options = read_configuration("setup.cfg")["options"]
    folders = {".".join(path.parent.relative_to(ROOT).parts)
               for top in ("app", "workers", "ui") for path in (ROOT / top).rglob("*")
               if path.is_file() and "__pycache__" not in path.parts}
    assert folders - set(options["packages"]) == set()
    assert "app.data" in options["packages"] and "ui.dashboard.views" in options["packages"]
    assert not [p for p in options["packages"] if "__pycache__" in p]
    assert options["package_data"]["app.data"] == ["*.json", "*.md"]

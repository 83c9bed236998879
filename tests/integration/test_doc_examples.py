"""Every Python example of the README and docs/ runs as it is, against a real API (gunicorn)
and worker, with DIA3_API_URL and DIA3_API_KEY set. A block that cannot run alone (a fragment,
a placeholder key) says so on the line before it: ``<!-- not run: why -->``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"(?:^(<!-- not run: [^>]+ -->)\n)?^```python\n(.*?)^```", re.M | re.S)


def examples() -> list[tuple[str, str | None, str]]:
    """(where, why it is not run or None, code) of every python block."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text()
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start(2))
            found.append((f"{path.relative_to(ROOT)}:{line}", match.group(1), match.group(2)))
    return found


RUNNABLE = [(where, code) for where, skip, code in examples() if skip is None]


def test_the_docs_have_runnable_examples():
    assert len(RUNNABLE) >= 6
    assert all(skip.removeprefix("<!-- not run: ").strip(" ->")  # each says why
               for _, skip, _ in examples() if skip)


@pytest.mark.parametrize(("where", "code"), RUNNABLE, ids=[w for w, _ in RUNNABLE])
def test_the_example_runs(where, code, api_url, tenant_key, settings_env):
    settings_env(DIA3_API_URL=api_url, DIA3_API_KEY=tenant_key)
    exec(compile(code, where, "exec"), {"__name__": "__example__"})

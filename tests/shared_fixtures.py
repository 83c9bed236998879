"""The shared fixtures folder (recorded third-party responses and data sets used by tests):
``$DIA3_SHARED_DIR``, else ``shared`` beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    configured = os.environ.get("DIA3_SHARED_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared"


def missing_shared_dir() -> str | None:
    """Why the tests cannot run for want of the shared folder, or None when it is there."""
    if (shared_dir() / "fixtures").is_dir():
        return None
    return (f"the shared test data is missing: {shared_dir() / 'fixtures'} does not exist. The "
            "tests replay recorded LLM, embedding and YouTube responses from it: put the "
            "shared folder beside the checkout (../shared) or set DIA3_SHARED_DIR to it.")


def shared_fixture(*parts: str) -> Path:
    path = shared_dir().joinpath("fixtures", *parts)
    if not path.exists():
        raise FileNotFoundError(f"shared fixture missing: {path} (set DIA3_SHARED_DIR)")
    return path

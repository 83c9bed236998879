"""The recorded YouTube assets of the shared fixtures, served by the engine's replay adapter."""

from __future__ import annotations

from pathlib import Path

import requests

from workers.knowledge.engine.replay import (  # noqa: F401 - re-exported for the tests
    PLAYER,
    TIMEDTEXT,
    WATCH,
    Canned,
    ReplayAdapter,
    with_overrides,
)
from workers.knowledge.engine.replay import replay_session as _replay_session

from .conftest import shared_fixture


def assets_dir() -> Path:
    return shared_fixture("youtube", "assets")


def replay_session(**overrides: list[Canned]) -> tuple[requests.Session, ReplayAdapter]:
    """A session whose youtube.com traffic is answered from the recorded assets.

    Keyword overrides replace a route: ``watch=``, ``player=`` or ``timedtext=``; a
    ``Canned`` without ``base`` names an asset of the shared folder.
    """
    assets = assets_dir()
    queues = {name: [Canned(c.asset, c.status, c.base or assets) for c in queue]
              for name, queue in overrides.items()}
    return _replay_session(with_overrides(assets, queues))

"""Replays recorded YouTube responses through a transport adapter on a requests.Session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter

from .conftest import shared_fixture

WATCH = ("GET", "/watch")
PLAYER = ("POST", "/youtubei/v1/player")
TIMEDTEXT = ("GET", "/api/timedtext")


@dataclass(frozen=True)
class Canned:
    """One recorded response: an asset file name, or a bare status code."""

    asset: str | None = None
    status: int = 200

    def body(self) -> bytes:
        return asset_path(self.asset).read_bytes() if self.asset else b""


def asset_path(name: str) -> Path:
    return shared_fixture("youtube", "assets", name)


def default_routes() -> dict[tuple[str, str], list[Canned]]:
    return {
        WATCH: [Canned("youtube.html.static")],
        PLAYER: [Canned("youtube.innertube.json.static")],
        TIMEDTEXT: [Canned("transcript.xml.static")],
    }


class ReplayAdapter(BaseAdapter):
    """Answers each (method, path) with its queue of canned responses; the last repeats.

    Query strings are ignored, as in the library's own tests. Unknown routes fail loudly.
    """

    def __init__(self, routes: dict[tuple[str, str], list[Canned]]) -> None:
        super().__init__()
        self.routes = {key: list(queue) for key, queue in routes.items()}
        self.calls: list[tuple[str, str]] = []

    def send(self, request, **kwargs) -> requests.Response:
        url = urlsplit(request.url)
        route = (request.method, url.path)
        self.calls.append(route)
        queue = self.routes.get(route)
        if url.hostname != "www.youtube.com" or not queue:
            raise AssertionError(f"unexpected request {route} to {request.url}")
        canned = queue.pop(0) if len(queue) > 1 else queue[0]
        response = requests.Response()
        response.status_code = canned.status
        response._content = canned.body()
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        response.reason = "OK" if canned.status < 400 else "Error"
        return response

    def close(self) -> None:
        pass


def replay_session(**overrides: list[Canned]) -> tuple[requests.Session, ReplayAdapter]:
    """A session whose youtube.com traffic is answered from the recorded assets.

    Keyword overrides replace a route: ``watch=``, ``player=`` or ``timedtext=``.
    """
    routes = default_routes()
    names = {"watch": WATCH, "player": PLAYER, "timedtext": TIMEDTEXT}
    for name, queue in overrides.items():
        routes[names[name]] = queue
    adapter = ReplayAdapter(routes)
    session = requests.Session()
    # Every URL goes to the adapter, so nothing can reach the network.
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session, adapter

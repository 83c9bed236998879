"""Recorded YouTube responses served through a ``requests`` transport adapter.

Tests and offline demos inject a ``requests.Session`` whose adapter answers YouTube's three
endpoints (watch page, innertube player, timed text) from recorded files, so the real
youtube-transcript-api code runs end to end with no network.

A replay folder holds the recorded assets under their usual names (``youtube.html.static``,
``youtube.innertube.json.static``, ``transcript.xml.static``): with nothing else, every video
gets the recorded success transcript. An optional ``scenarios.json`` changes the answers for
chosen video ids, per attempt when a scenario is a list (attempt ``n`` uses entry ``n``, the
last one repeats), which is how a throttled-then-successful fetch is replayed across retries::

    {"AgeRestrict": {"player": ["youtube_age_restricted.innertube.json.static"]},
     "Throttled01": [{"timedtext": [429]}, {}]}

A route's value is a queue of responses (an asset file name, or a bare HTTP status), taken
in order within one session; its last entry repeats.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter

WATCH = ("GET", "/watch")
PLAYER = ("POST", "/youtubei/v1/player")
TIMEDTEXT = ("GET", "/api/timedtext")
ROUTE_NAMES = {"watch": WATCH, "player": PLAYER, "timedtext": TIMEDTEXT}
SCENARIOS_FILE = "scenarios.json"
YOUTUBE_HOST = "www.youtube.com"


@dataclass(frozen=True)
class Canned:
    """One recorded response: an asset file (relative to ``base``), or a bare status code."""

    asset: str | None = None
    status: int = 200
    base: Path | None = None

    def body(self) -> bytes:
        if not self.asset:
            return b""
        return ((self.base or Path()) / self.asset).read_bytes()


Routes = dict[tuple[str, str], list[Canned]]


def default_routes(assets: Path) -> Routes:
    """The success flow: watch page, player response with captions, transcript XML."""
    return {
        WATCH: [Canned("youtube.html.static", base=assets)],
        PLAYER: [Canned("youtube.innertube.json.static", base=assets)],
        TIMEDTEXT: [Canned("transcript.xml.static", base=assets)],
    }


class ReplayAdapter(BaseAdapter):
    """Answers each (method, path) with its queue of canned responses; the last repeats.

    Query strings are ignored, as in the library's own tests. A request to any other host or
    route raises ``requests.ConnectionError``: nothing can reach the network.
    """

    def __init__(self, routes: Routes) -> None:
        super().__init__()
        self.routes = {key: list(queue) for key, queue in routes.items()}
        self.calls: list[tuple[str, str]] = []

    def send(self, request, **kwargs) -> requests.Response:  # type: ignore[override]
        url = urlsplit(request.url)
        route = (request.method, url.path)
        self.calls.append(route)
        queue = self.routes.get(route)
        if url.hostname != YOUTUBE_HOST or not queue:
            raise requests.ConnectionError(f"no recorded response for {route} ({request.url})")
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


def replay_session(routes: Routes) -> tuple[requests.Session, ReplayAdapter]:
    """A session whose every request is answered by a ``ReplayAdapter`` over ``routes``."""
    adapter = ReplayAdapter(routes)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session, adapter


def with_overrides(assets: Path, overrides: Mapping[str, Sequence[str | int | Canned]]
                   ) -> Routes:
    """Default routes with some replaced, by route name (``watch``, ``player``, ``timedtext``)."""
    routes = default_routes(assets)
    for name, queue in overrides.items():
        if name not in ROUTE_NAMES:
            raise ValueError(f"unknown route {name!r}; use one of {', '.join(ROUTE_NAMES)}")
        routes[ROUTE_NAMES[name]] = [_canned(item, assets) for item in queue]
    return routes


def _canned(item: str | int | Canned, assets: Path) -> Canned:
    if isinstance(item, Canned):
        return item
    if isinstance(item, int):
        return Canned(status=item)
    return Canned(item, base=assets)


class ReplayLibrary:
    """A replay folder: default success assets plus optional per-video scenarios."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        scenarios = self.folder / SCENARIOS_FILE
        self.scenarios: dict = json.loads(scenarios.read_text()) if scenarios.exists() else {}

    def session(self, video_id: str, attempt: int = 0) -> requests.Session:
        """The session for one fetch of ``video_id``; ``attempt`` counts earlier tries."""
        scenario = self.scenarios.get(video_id, {})
        if isinstance(scenario, list):
            scenario = scenario[min(attempt, len(scenario) - 1)] if scenario else {}
        return replay_session(with_overrides(self.folder, scenario))[0]

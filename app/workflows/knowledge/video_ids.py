"""YouTube video ids out of the URL shapes people paste (checked when a job is submitted)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from app.workflows.knowledge.errors import InputError

_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS = {
    "youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com",
    "gaming.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com",
}
_SHORT_HOSTS = {"youtu.be", "www.youtu.be"}
_ID_PATH_PREFIXES = {"embed", "v", "e", "shorts", "live"}


def parse_video_id(value: str) -> str:
    """The 11-character video id in a bare id or any common YouTube URL shape."""
    text = value.strip() if isinstance(value, str) else ""
    if _VIDEO_ID.match(text):
        return text
    parts = urlsplit(text if "://" in text else f"https://{text}")
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    candidate = None
    if host in _SHORT_HOSTS and segments:
        candidate = segments[0]
    elif host in _YOUTUBE_HOSTS:
        if "v" in query:
            candidate = query["v"][0]
        elif len(segments) >= 2 and segments[0] in _ID_PATH_PREFIXES:
            candidate = segments[1]
        elif segments[:1] == ["attribution_link"] and "u" in query:
            return parse_video_id(f"https://www.youtube.com{query['u'][0]}")
    if candidate and _VIDEO_ID.match(candidate):
        return candidate
    raise InputError("video", f"not a YouTube video URL or id: {value!r}",
                     reason="invalid_video")

"""YouTube transcripts as the workers fetch them: the shared quota, languages and session.

Every worker process counts its requests against one Redis quota
(``DIA3_YOUTUBE_REQUESTS_PER_MINUTE``), so adding workers never multiplies the request rate.
With ``DIA3_YOUTUBE_REPLAY_DIR`` set, the HTTP session serves recorded responses from that
folder instead of the network (tests and offline demos run the real client code).
"""

from __future__ import annotations

from typing import Any

import requests

from app.redis_client import get_redis
from app.settings import get_settings
from workers.knowledge.engine.summary import summarize_segments
from workers.knowledge.engine.timeline import sentiment_timeline
from workers.knowledge.engine.youtube import Transcript, TranscriptFetcher, default_session
from workers.knowledge.quota import RedisRateLimiter

QUOTA_NAME = "youtube"


def languages(requested: list[str] | None = None) -> list[str]:
    """The requested languages, else ``DIA3_YOUTUBE_LANGUAGES``."""
    if requested:
        return requested
    return [code.strip() for code in get_settings().youtube_languages.split(",") if code.strip()]


def session(video_id: str, attempt: int = 0) -> requests.Session:
    """The HTTP session of one fetch: recorded responses when a replay folder is set."""
    replay_dir = get_settings().youtube_replay_dir
    if replay_dir:
        from workers.knowledge.engine.replay import ReplayLibrary
        return ReplayLibrary(replay_dir).session(video_id, attempt)
    return default_session()


def limiter() -> RedisRateLimiter:
    return RedisRateLimiter(get_redis(), QUOTA_NAME,
                            limit=get_settings().youtube_requests_per_minute, period=60)


def fetcher(video_id: str, attempt: int = 0) -> TranscriptFetcher:
    """A fetcher for one video under the shared quota (``attempt`` counts earlier tries)."""
    return TranscriptFetcher(session(video_id, attempt), limiter=limiter(),
                             languages=languages())


def analyse(tenant: str, collection: str, transcript: Transcript, summary_sentences: int = 5,
            window_seconds: float | None = None) -> dict[str, Any]:
    """Sentiment timeline and extractive summary of a transcript; the summary ranks sentences
    with the collection's own embedder."""
    from app.workflows.knowledge import service as knowledge
    embedder = knowledge.open_collection(tenant, collection).embedder
    return {
        "sentiment": sentiment_timeline(transcript.segments, window_seconds),
        "summary": [key.to_dict() for key in summarize_segments(
            transcript.segments, embedder, max_sentences=summary_sentences)],
    }


def report(transcript: Transcript, collection: str, indexed: dict[str, Any],
           analysis: dict[str, Any]) -> dict[str, Any]:
    """The ``youtube`` job's result."""
    starts, ends = [s.start for s in transcript.segments], [s.end for s in transcript.segments]
    return {
        "video_id": transcript.video_id,
        "url": transcript.url,
        "language": transcript.language,
        "language_code": transcript.language_code,
        "is_generated": transcript.is_generated,
        "segments": len(starts),
        "duration_seconds": round(max(ends) - min(starts), 3),
        "collection": collection,
        "ingest": indexed,
        **analysis,
    }

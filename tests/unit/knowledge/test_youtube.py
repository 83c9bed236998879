"""YouTube transcripts from recorded responses: success, every failure fixture, quota."""

from __future__ import annotations

import uuid

import pytest
import redis
import requests

from app.workflows.knowledge.chroma_client import connect_chroma
from app.workflows.knowledge.errors import (
    InputError,
    PermanentError,
    RateLimited,
    TransientError,
)
from app.workflows.knowledge.store import KnowledgeStore
from workers.knowledge.engine.chunking import ApproxTokenizer, ChunkingConfig, TimedSegment
from workers.knowledge.engine.youtube import TranscriptFetcher, ingest_transcript, parse_video_id
from workers.knowledge.quota import RedisRateLimiter

from .youtube_replay import PLAYER, TIMEDTEXT, WATCH, Canned, replay_session

VIDEO = "GJLlxj_dtq8"


@pytest.mark.parametrize(
    "value",
    [
        "GJLlxj_dtq8",
        "  GJLlxj_dtq8 ",
        "https://www.youtube.com/watch?v=GJLlxj_dtq8",
        "https://www.youtube.com/watch?feature=share&v=GJLlxj_dtq8&t=42s",
        "http://youtube.com/watch?v=GJLlxj_dtq8#comments",
        "https://m.youtube.com/watch?v=GJLlxj_dtq8",
        "https://music.youtube.com/watch?v=GJLlxj_dtq8&list=RDAMVM",
        "https://youtu.be/GJLlxj_dtq8",
        "https://youtu.be/GJLlxj_dtq8?t=10&si=abc",
        "youtu.be/GJLlxj_dtq8",
        "www.youtube.com/watch?v=GJLlxj_dtq8",
        "https://www.youtube.com/embed/GJLlxj_dtq8?start=5",
        "https://www.youtube-nocookie.com/embed/GJLlxj_dtq8",
        "https://www.youtube.com/v/GJLlxj_dtq8",
        "https://www.youtube.com/e/GJLlxj_dtq8",
        "https://www.youtube.com/shorts/GJLlxj_dtq8",
        "https://www.youtube.com/live/GJLlxj_dtq8?feature=shared",
        "https://www.youtube.com/attribution_link?a=x&u=/watch%3Fv%3DGJLlxj_dtq8%26feature%3Dshare",
    ],
)
def test_video_ids_are_found_in_every_url_shape(value) -> None:
    assert parse_video_id(value) == VIDEO


@pytest.mark.parametrize(
    "value",
    ["", "abc", "https://vimeo.com/123456789", "https://www.youtube.com/channel/UC123",
     "https://www.youtube.com/watch?v=short", "https://youtu.be/", "GJLlxj_dtq8xx"],
)
def test_non_video_inputs_are_input_errors(value) -> None:
    with pytest.raises(InputError) as caught:
        parse_video_id(value)
    assert caught.value.field == "video"


def test_transcript_is_fetched_and_parsed() -> None:
    session, adapter = replay_session()
    transcript = TranscriptFetcher(session).fetch(f"https://youtu.be/{VIDEO}")

    assert transcript.video_id == VIDEO
    assert (transcript.language_code, transcript.is_generated) == ("en", False)
    assert transcript.segments == [
        TimedSegment("Hey, this is just a test", 0.0, 1.54),
        TimedSegment("this is not the original transcript", 1.54, 1.54 + 4.16),
        TimedSegment("just something shorter, I made up for testing", 5.7, 5.7 + 3.239),
    ]
    assert adapter.calls == [WATCH, PLAYER, TIMEDTEXT]
    assert transcript.to_dict()["segments"][0] == {
        "text": "Hey, this is just a test", "start": 0.0, "end": 1.54}


def test_language_preference_falls_back_in_order() -> None:
    session, _ = replay_session(player=[Canned("youtube_ww1_nl_en.innertube.json.static")])
    transcript = TranscriptFetcher(session).fetch("F1xioXWb8CY", languages=["de", "en"])
    assert transcript.language_code == "en"


def test_consent_page_is_accepted_then_fetch_succeeds() -> None:
    session, adapter = replay_session(
        watch=[Canned("youtube_consent_page.html.static"), Canned("youtube.html.static")])
    transcript = TranscriptFetcher(session).fetch(VIDEO)
    assert len(transcript.segments) == 3
    assert adapter.calls == [WATCH, WATCH, PLAYER, TIMEDTEXT]
    consent = session.cookies.get("CONSENT", domain=".youtube.com")
    assert consent == "YES+cb.20210328-17-p0.de+FX+119"


def test_altered_user_agent_variant_still_succeeds() -> None:
    session, _ = replay_session(
        player=[Canned("youtube_altered_user_agent.innertube.json.static")])
    assert TranscriptFetcher(session).fetch(VIDEO).language_code == "en"


PERMANENT_CASES = [
    ("player", "youtube_video_unavailable.innertube.json.static", "video_unavailable",
     "no longer available"),
    ("player", "youtube_transcripts_disabled.innertube.json.static", "transcripts_disabled",
     "transcripts disabled"),
    ("player", "youtube_transcripts_disabled2.innertube.json.static", "transcripts_disabled",
     "transcripts disabled"),
    ("player", "youtube_age_restricted.innertube.json.static", "age_restricted",
     "age-restricted"),
    ("player", "youtube_unplayable.innertube.json.static", "video_unplayable",
     "Custom Reason; Sub Reason 1; Sub Reason 2"),
    ("player", "youtube_po_token_required.innertube.json.static", "po_token_required",
     "proof-of-origin"),
    ("watch", "youtube_consent_page_invalid.html.static", "consent_failed", "consent"),
]


@pytest.mark.parametrize(("route", "asset", "reason", "phrase"), PERMANENT_CASES,
                         ids=[case[2] + "-" + case[1][:20] for case in PERMANENT_CASES])
def test_permanent_failures(route, asset, reason, phrase) -> None:
    session, _ = replay_session(**{route: [Canned(asset)]})
    with pytest.raises(PermanentError) as caught:
        TranscriptFetcher(session).fetch(VIDEO)
    assert caught.value.reason == reason
    assert phrase in str(caught.value)
    assert not isinstance(caught.value, TransientError)


TRANSIENT_CASES = [
    ("watch", Canned("youtube_too_many_requests.html.static"), "ip_blocked"),
    ("timedtext", Canned(status=429), "ip_blocked"),
    ("player", Canned("youtube_request_blocked.innertube.json.static"), "request_blocked"),
    ("player", Canned(status=500), "youtube_request_failed"),
]


@pytest.mark.parametrize(("route", "canned", "reason"), TRANSIENT_CASES,
                         ids=[f"{case[0]}-{case[2]}" for case in TRANSIENT_CASES])
def test_transient_failures(route, canned, reason) -> None:
    session, _ = replay_session(**{route: [canned]})
    with pytest.raises(TransientError) as caught:
        TranscriptFetcher(session).fetch(VIDEO)
    assert caught.value.reason == reason
    assert caught.value.to_dict()["error"] == "transient"


def test_client_errors_from_youtube_are_permanent() -> None:
    session, _ = replay_session(player=[Canned(status=403)])
    with pytest.raises(PermanentError) as caught:
        TranscriptFetcher(session).fetch(VIDEO)
    assert caught.value.reason == "youtube_request_failed"


def test_missing_language_is_permanent() -> None:
    session, _ = replay_session()
    with pytest.raises(PermanentError) as caught:
        TranscriptFetcher(session, languages=["xx", "yy"]).fetch(VIDEO)
    assert caught.value.reason == "no_transcript_found"
    assert "xx, yy" in str(caught.value)


def test_network_failure_is_transient() -> None:
    class Unreachable(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):
            raise requests.ConnectionError("connection refused")

        def close(self) -> None:
            pass

    session = requests.Session()
    session.mount("https://", Unreachable())
    with pytest.raises(TransientError) as caught:
        TranscriptFetcher(session).fetch(VIDEO)
    assert caught.value.reason == "network_error"


@pytest.fixture()
def redis_client(redis_url):
    """The test Redis; every key this test makes lives under a unique prefix, removed after."""
    client = redis.Redis.from_url(redis_url)
    prefix = f"test:kb:{uuid.uuid4().hex}:"
    yield client, prefix
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)


def test_rate_limit_is_shared_between_workers(redis_client) -> None:
    client, prefix = redis_client
    worker_a = RedisRateLimiter(client, "youtube", limit=3, period=60, key_prefix=prefix)
    worker_b = RedisRateLimiter(redis.Redis(connection_pool=client.connection_pool),
                                "youtube", limit=3, period=60, key_prefix=prefix)
    other_quota = RedisRateLimiter(client, "other", limit=1, period=60, key_prefix=prefix)

    assert [worker_a.try_acquire(), worker_b.try_acquire(), worker_a.try_acquire()] == [0, 0, 0]
    wait = worker_b.try_acquire()
    assert 59 < wait <= 60
    with pytest.raises(RateLimited) as caught:
        worker_a.acquire()
    assert isinstance(caught.value, TransientError)
    assert 0 < caught.value.retry_after <= 60
    assert other_quota.try_acquire() == 0
    assert client.zcard(worker_a.key) == 3
    assert 0 < client.pttl(worker_a.key) <= 60_000


def test_rate_limit_frees_slots_once_the_window_has_passed(redis_client) -> None:
    client, prefix = redis_client
    limiter = RedisRateLimiter(client, "youtube", limit=2, period=60, key_prefix=prefix)
    assert limiter.try_acquire() == limiter.try_acquire() == 0
    assert limiter.try_acquire() > 0
    # Age the recorded requests past the window instead of waiting a minute.
    for member, score in client.zrange(limiter.key, 0, -1, withscores=True):
        client.zadd(limiter.key, {member: score - 61_000_000})
    assert limiter.try_acquire() == 0


def test_unreachable_redis_is_a_transient_error() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1,
                         retry=Retry(NoBackoff(), 0))
    limiter = RedisRateLimiter(client, "youtube", limit=5)
    with pytest.raises(TransientError) as caught:
        limiter.acquire()
    assert caught.value.reason == "rate_limiter_unavailable"


def test_fetch_counts_against_the_quota_before_any_request(redis_client) -> None:
    client, prefix = redis_client
    limiter = RedisRateLimiter(client, "youtube", limit=1, period=60, key_prefix=prefix)
    session, adapter = replay_session()
    fetcher = TranscriptFetcher(session, limiter=limiter)

    fetcher.fetch(VIDEO)
    with pytest.raises(RateLimited):
        fetcher.fetch(VIDEO)
    assert adapter.calls == [WATCH, PLAYER, TIMEDTEXT]


def test_transcript_chunks_keep_their_times(tmp_path, hashing_embedder) -> None:
    session, _ = replay_session()
    transcript = TranscriptFetcher(session).fetch(VIDEO)
    collection = KnowledgeStore(connect_chroma(path=tmp_path / "chroma")).create_collection(
        "acme", "videos", hashing_embedder)

    report = ingest_transcript(collection, transcript, tokenizer=ApproxTokenizer(),
                               chunking=ChunkingConfig(chunk_tokens=10, overlap_tokens=2))
    again = ingest_transcript(collection, transcript, tokenizer=ApproxTokenizer(),
                              chunking=ChunkingConfig(chunk_tokens=10, overlap_tokens=2))

    assert report.document_id == f"youtube:{VIDEO}" and again.chunks_added == 0
    hits = collection.search("made up for testing", k=report.chunks_total)
    times = sorted((hit.metadata["start_time"], hit.metadata["end_time"]) for hit in hits)
    assert times[0][0] == 0.0
    assert times[-1][1] == pytest.approx(5.7 + 3.239)
    assert all(start < end for start, end in times)
    document = collection.get_document(f"youtube:{VIDEO}")
    assert document.source == f"https://www.youtube.com/watch?v={VIDEO}"
    assert document.metadata == {"video_id": VIDEO, "language_code": "en",
                                 "is_generated": False}

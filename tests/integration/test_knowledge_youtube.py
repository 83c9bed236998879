"""The ``youtube`` workflow on real workers against the recorded YouTube responses: success,
the consent flow, every failure fixture, throttling retried with backoff, the shared quota."""

import time

import pytest
import redis

from tests.integration.kb_helpers import COLLECTIONS, create_collection, search
from tests.shared_fixtures import shared_fixture
from tests.youtube_scenarios import (
    CONSENT_OK,
    PERMANENT,
    SUCCESS,
    TRANSIENT_THEN_OK,
)
from workers.sentiment.engine.vader import LABELS, label, score_texts

SEGMENT_TEXTS = ["Hey, this is just a test", "this is not the original transcript",
                 "just something shorter, I made up for testing"]


@pytest.fixture(scope="module", autouse=True)
def recorded_assets():
    """The recorded responses must be there: every test here replays them."""
    return shared_fixture("youtube", "assets", "youtube.innertube.json.static")


def run(analyst, name: str, video: str, **params) -> dict:
    response = analyst.submit("youtube", {"video": video, "collection": name, **params})
    assert response.status_code == 202, response.get_json()
    return analyst.wait(response.get_json()["id"], timeout=120)


def result_of(analyst, job: dict) -> dict:
    assert job["state"] == "succeeded", job["error"]
    return analyst.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]


def test_a_video_becomes_timed_chunks_a_sentiment_timeline_and_a_summary(analyst, worker):
    name = create_collection(analyst)
    job = run(analyst, name, f"https://www.youtube.com/watch?v={SUCCESS}&t=42s",
              window_seconds=5)
    result = result_of(analyst, job)

    assert (result["video_id"], result["language_code"], result["is_generated"]) == \
        (SUCCESS, "en", False)
    assert result["segments"] == 3 and result["duration_seconds"] == pytest.approx(8.939)
    assert result["ingest"]["document_id"] == f"youtube:{SUCCESS}"
    assert result["ingest"]["chunks_total"] >= 1
    timeline = result["sentiment"]
    assert timeline["count"] == 3 and timeline["window_seconds"] == 5
    assert [p["start"] for p in timeline["points"]] == [0, 5]
    assert sum(p["count"] for p in timeline["points"]) == 3
    labels = [label(c) for c, *_ in score_texts(SEGMENT_TEXTS)]  # the sentiment analyser
    assert timeline["counts"] == {name: labels.count(name) for name in LABELS}
    summary = result["summary"]
    assert 1 <= len(summary) <= 5
    assert all(s["start"] is not None and s["end"] >= s["start"] for s in summary)
    assert {"transcript", "index", "analyse", "report"} == \
        set(analyst.get(f"/api/v1/jobs/{job['id']}").get_json()["steps"])

    hit = search(analyst, name, "something shorter I made up for testing", k=1)[0]
    assert hit["document_id"] == f"youtube:{SUCCESS}"
    assert hit["metadata"]["start_time"] >= 0 and hit["metadata"]["end_time"] > 0
    document = analyst.get(f"{COLLECTIONS}/{name}/documents/youtube:{SUCCESS}").get_json()
    assert document["source"] == f"https://www.youtube.com/watch?v={SUCCESS}"


def test_the_cookie_consent_page_is_accepted(analyst, worker):
    result = result_of(analyst, run(analyst, create_collection(analyst), CONSENT_OK))
    assert result["video_id"] == CONSENT_OK and result["segments"] == 3


@pytest.mark.parametrize("video", sorted(PERMANENT), ids=[PERMANENT[v][2] + "-" + v
                                                          for v in sorted(PERMANENT)])
def test_videos_without_a_transcript_fail_the_job_with_the_reason(analyst, worker, video):
    name = create_collection(analyst)
    job = run(analyst, name, video)
    assert job["state"] == "failed"
    error = job["error"]
    assert (error["type"], error["step"]) == ("PermanentError", "transcript")
    assert f"[{PERMANENT[video][2]}]" in error["message"] and video in error["message"]
    steps = analyst.get(f"/api/v1/jobs/{job['id']}").get_json()["steps"]
    assert steps["transcript"]["starts"] == 1  # not retried
    assert analyst.get(f"{COLLECTIONS}/{name}").get_json()["chunk_count"] == 0


def test_a_missing_language_fails_the_job(analyst, worker):
    job = run(analyst, create_collection(analyst), SUCCESS, languages=["xx", "yy"])
    assert job["state"] == "failed" and "[no_transcript_found]" in job["error"]["message"]


@pytest.mark.parametrize("video", sorted(TRANSIENT_THEN_OK))
def test_throttling_is_retried_and_then_succeeds(analyst, worker, video):
    job = run(analyst, create_collection(analyst), video)
    assert result_of(analyst, job)["video_id"] == video
    steps = analyst.get(f"/api/v1/jobs/{job['id']}").get_json()["steps"]
    assert steps["transcript"]["starts"] == 2


def test_a_used_up_shared_quota_delays_the_fetch(analyst, worker, redis_url):
    """Fill the quota shared by all workers so that it frees up in about a second: the first
    attempt is refused with a retry-after hint and the retry goes through."""
    from app.settings import get_settings
    client = redis.Redis.from_url(redis_url)
    seconds, micros = client.time()
    now = seconds * 1_000_000 + micros
    limit = get_settings().youtube_requests_per_minute
    frees_at = now - 60_000_000 + 1_000_000
    client.zadd("dia3:ratelimit:youtube", {f"filler-{i}": frees_at for i in range(limit)})
    started = time.monotonic()
    job = run(analyst, create_collection(analyst), SUCCESS)
    assert result_of(analyst, job)["video_id"] == SUCCESS
    assert analyst.get(f"/api/v1/jobs/{job['id']}").get_json()["steps"]["transcript"][
        "starts"] == 2
    assert time.monotonic() - started >= 0.9  # the retry honoured the limiter's hint


@pytest.mark.parametrize("params,field", [
    ({"video": "https://vimeo.com/123"}, "video"),
    ({"video": SUCCESS, "languages": ["not a code!"]}, "languages"),
    ({"video": SUCCESS, "summary_sentences": 0}, "summary_sentences"),
])
def test_bad_params_are_field_level_422s(analyst, params, field):
    response = analyst.submit("youtube", {"collection": create_collection(analyst), **params})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]["json"]["params"]


def test_the_collection_must_exist(analyst):
    response = analyst.submit("youtube", {"video": SUCCESS, "collection": "missing"})
    assert response.status_code == 422
    assert "create it first" in response.get_json()["errors"]["json"]["params"]["collection"][0]

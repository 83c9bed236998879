"""Replay folders: the recorded success by default, scenarios per video and per attempt."""

import json

import pytest

from workers.knowledge.engine.replay import ReplayLibrary
from workers.knowledge.engine.youtube import TranscriptFetcher

from .youtube_replay import assets_dir


@pytest.fixture
def folder(tmp_path):
    for asset in assets_dir().iterdir():
        (tmp_path / asset.name).symlink_to(asset)
    (tmp_path / "scenarios.json").write_text(json.dumps({
        "ageRestrict": {"player": ["youtube_age_restricted.innertube.json.static"]},
        "Throttled01": [{"timedtext": [429]}, {}],
    }))
    return tmp_path


def fetch(library, video, attempt=0):
    return TranscriptFetcher(library.session(video, attempt)).fetch(video)


def test_any_other_video_gets_the_recorded_transcript(folder):
    transcript = fetch(ReplayLibrary(folder), "AAAAAAAAAAA")
    assert transcript.video_id == "AAAAAAAAAAA" and len(transcript.segments) == 3


def test_scenarios_replace_routes_per_video_and_per_attempt(folder):
    from app.workflows.knowledge.errors import PermanentError, TransientError
    library = ReplayLibrary(folder)
    with pytest.raises(PermanentError, match="age-restricted"):
        fetch(library, "ageRestrict")
    with pytest.raises(TransientError) as caught:
        fetch(library, "Throttled01", attempt=0)
    assert caught.value.reason == "ip_blocked"
    assert len(fetch(library, "Throttled01", attempt=1).segments) == 3
    assert len(fetch(library, "Throttled01", attempt=5).segments) == 3


def test_a_folder_without_the_recorded_assets_fails_loudly(tmp_path):
    with pytest.raises(FileNotFoundError, match="youtube.html.static"):
        fetch(ReplayLibrary(tmp_path), "AAAAAAAAAAA")

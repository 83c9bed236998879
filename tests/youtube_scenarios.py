"""A YouTube replay folder for the session's workers: the recorded assets of the shared
fixtures plus ``scenarios.json``, which gives each failure fixture its own video id.

Workers read ``DIA3_YOUTUBE_REPLAY_DIR`` at start, so the folder is made before they start;
a test picks a scenario by the video id it submits.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.shared_fixtures import shared_dir

SUCCESS = "GJLlxj_dtq8"  # the recorded video; any id without a scenario gets its transcript
CONSENT_OK = "consentOk01"
THROTTLED = "throttled01"
TOO_MANY_TIMEDTEXT = "timedtx4291"
BOT_CHECK = "botBlocked1"

# video id -> (route, asset, reason the job fails with)
PERMANENT = {
    "unavailabl1": ("player", "youtube_video_unavailable.innertube.json.static",
                    "video_unavailable"),
    "trDisabled1": ("player", "youtube_transcripts_disabled.innertube.json.static",
                    "transcripts_disabled"),
    "trDisabled2": ("player", "youtube_transcripts_disabled2.innertube.json.static",
                    "transcripts_disabled"),
    "ageRestrict": ("player", "youtube_age_restricted.innertube.json.static", "age_restricted"),
    "unplayable1": ("player", "youtube_unplayable.innertube.json.static", "video_unplayable"),
    "poTokenReq1": ("player", "youtube_po_token_required.innertube.json.static",
                    "po_token_required"),
    "consentBad1": ("watch", "youtube_consent_page_invalid.html.static", "consent_failed"),
}

# Throttled on the first attempt, answered on the retry.
TRANSIENT_THEN_OK = {
    THROTTLED: {"watch": ["youtube_too_many_requests.html.static"]},
    TOO_MANY_TIMEDTEXT: {"timedtext": [429]},
    BOT_CHECK: {"player": ["youtube_request_blocked.innertube.json.static"]},
}


def scenarios() -> dict:
    out: dict = {video: {route: [asset]} for video, (route, asset, _) in PERMANENT.items()}
    out.update({video: [first, {}] for video, first in TRANSIENT_THEN_OK.items()})
    out[CONSENT_OK] = {"watch": ["youtube_consent_page.html.static", "youtube.html.static"]}
    return out


@pytest.fixture(scope="session")
def youtube_replay_dir(tmp_path_factory) -> Path:
    """Links to the recorded assets (when the shared folder is present) and the scenarios."""
    folder = tmp_path_factory.mktemp("youtube-replay")
    assets = shared_dir() / "fixtures" / "youtube" / "assets"
    if assets.is_dir():
        for asset in assets.iterdir():
            (folder / asset.name).symlink_to(asset)
    (folder / "scenarios.json").write_text(json.dumps(scenarios(), indent=1))
    return folder

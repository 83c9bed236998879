"""YouTube transcripts: URL parsing, fetching under a shared quota, error triage, indexing.

Failures are sorted into ``TransientError`` (YouTube is throttling or failing: retry later
with backoff) and ``PermanentError`` (this video will never yield a transcript: do not
retry), each with a short ``reason`` code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter
from youtube_transcript_api import YouTubeTranscriptApi
from youtube_transcript_api import _errors as yt_errors

from app.workflows.knowledge.errors import PermanentError, TransientError
from app.workflows.knowledge.models import DocumentInput, IngestReport
from app.workflows.knowledge.store import KnowledgeCollection
from app.workflows.knowledge.video_ids import parse_video_id  # noqa: F401
from workers.knowledge.engine.chunking import (
    ChunkingConfig,
    TimedSegment,
    TokenSpanner,
    chunk_segments,
)
from workers.knowledge.engine.ingest import BatchCallback, tokenizer_for


@dataclass(frozen=True)
class Transcript:
    video_id: str
    language: str
    language_code: str
    is_generated: bool
    segments: list[TimedSegment]

    @property
    def url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.video_id}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        """The inverse of ``to_dict`` (a transcript handed from one task to the next)."""
        return cls(data["video_id"], data["language"], data["language_code"],
                   bool(data["is_generated"]),
                   [TimedSegment(s["text"], float(s["start"]), float(s["end"]))
                    for s in data["segments"]])


class _TimeoutAdapter(HTTPAdapter):
    """Gives every request a timeout, which ``requests`` otherwise lacks."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def send(self, request, **kwargs):  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


def default_session(timeout: float = 30.0) -> requests.Session:
    session = requests.Session()
    adapter = _TimeoutAdapter(timeout)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class Limiter(Protocol):
    """A quota every fetch waits on (the workers share one in Redis)."""

    def acquire(self) -> None: ...


class TranscriptFetcher:
    """Fetches transcripts with youtube-transcript-api, counting each video against a
    shared quota (a :class:`Limiter`) when one is given.

    ``session`` is the ``requests.Session`` every HTTP call goes through (inject one to
    add proxies, cookies or, in tests, a replaying transport adapter).
    """

    def __init__(self, session: requests.Session | None = None,
                 limiter: Limiter | None = None,
                 languages: Sequence[str] = ("en",)) -> None:
        self._session = session or default_session()
        self._limiter = limiter
        self._languages = tuple(languages)

    def fetch(self, video: str, languages: Sequence[str] | None = None) -> Transcript:
        """Transcript in the first available language of ``languages`` (manual before
        auto-generated); raises InputError, TransientError or PermanentError."""
        video_id = parse_video_id(video)
        if self._limiter is not None:
            self._limiter.acquire()
        api = YouTubeTranscriptApi(http_client=self._session)
        try:
            fetched = api.fetch(video_id, languages=tuple(languages or self._languages))
        except yt_errors.CouldNotRetrieveTranscript as error:
            raise classify_youtube_error(error) from error
        except requests.RequestException as error:
            raise TransientError(f"video {video_id}: network error talking to YouTube "
                                 f"({type(error).__name__})", reason="network_error") from error
        segments = [TimedSegment(s.text, s.start, s.start + s.duration)
                    for s in fetched.snippets if s.text.strip()]
        if not segments:
            raise PermanentError(f"video {video_id}: the transcript is empty",
                                 reason="empty_transcript")
        return Transcript(video_id, fetched.language, fetched.language_code,
                          fetched.is_generated, segments)


# Checked in order: subclasses before their parents.
_PERMANENT_CAUSES: list[tuple[type[Exception], str, str]] = [
    (yt_errors.InvalidVideoId, "invalid_video_id", "is not a valid video id"),
    (yt_errors.VideoUnavailable, "video_unavailable", "is no longer available"),
    (yt_errors.TranscriptsDisabled, "transcripts_disabled", "has transcripts disabled"),
    (yt_errors.AgeRestricted, "age_restricted",
     "is age-restricted; transcripts need a signed-in session"),
    (yt_errors.PoTokenRequired, "po_token_required",
     "needs a proof-of-origin token that this client cannot provide"),
    (yt_errors.FailedToCreateConsentCookie, "consent_failed",
     "is behind a cookie-consent page that could not be accepted"),
    (yt_errors.NotTranslatable, "translation_unavailable", "cannot be translated"),
    (yt_errors.TranslationLanguageNotAvailable, "translation_unavailable",
     "has no such translation language"),
    (yt_errors.YouTubeDataUnparsable, "youtube_data_unparsable",
     "returned data this client cannot parse"),
]
_TRANSIENT_CAUSES: list[tuple[type[Exception], str, str]] = [
    (yt_errors.IpBlocked, "ip_blocked",
     "YouTube is rate-limiting this IP (too many requests)"),
    (yt_errors.RequestBlocked, "request_blocked",
     "YouTube is blocking requests from this IP (bot check)"),
]


def classify_youtube_error(error: yt_errors.CouldNotRetrieveTranscript) -> Exception:
    """Map a youtube-transcript-api failure to TransientError or PermanentError."""
    video_id = error.video_id
    for cls, reason, text in _TRANSIENT_CAUSES:
        if isinstance(error, cls):
            return TransientError(f"video {video_id}: {text}", reason=reason)
    for cls, reason, text in _PERMANENT_CAUSES:
        if isinstance(error, cls):
            return PermanentError(f"video {video_id} {text}", reason=reason)
    if isinstance(error, yt_errors.NoTranscriptFound):
        wanted = ", ".join(getattr(error, "_requested_language_codes", ()))
        return PermanentError(f"video {video_id} has no transcript in: {wanted}",
                              reason="no_transcript_found")
    if isinstance(error, yt_errors.VideoUnplayable):
        details = "; ".join([error.reason or "no reason given", *error.sub_reasons])
        return PermanentError(f"video {video_id} is unplayable: {details}",
                              reason="video_unplayable")
    if isinstance(error, yt_errors.YouTubeRequestFailed):
        status = _http_status(error)
        message = f"video {video_id}: request to YouTube failed ({error.reason})"
        if status is None or status >= 500 or status == 408:
            return TransientError(message, reason="youtube_request_failed")
        return PermanentError(message, reason="youtube_request_failed")
    return PermanentError(f"video {video_id}: {type(error).__name__}",
                          reason="transcript_unavailable")


def _http_status(error: Exception) -> int | None:
    cause = error.__cause__ or error.__context__
    response = getattr(cause, "response", None)
    return getattr(response, "status_code", None)


def ingest_transcript(
    collection: KnowledgeCollection,
    transcript: Transcript,
    *,
    chunking: ChunkingConfig | None = None,
    tokenizer: TokenSpanner | None = None,
    title: str | None = None,
    on_batch: BatchCallback | None = None,
) -> IngestReport:
    """Index a transcript as document ``youtube:<video id>``; chunks keep start/end times.

    ``on_batch(done, total)`` reports embedding progress (see ``add_document``)."""
    chunks = chunk_segments(transcript.segments, tokenizer or tokenizer_for(collection.embedder),
                            chunking or ChunkingConfig())
    document = DocumentInput(
        document_id=f"youtube:{transcript.video_id}",
        title=title or f"YouTube video {transcript.video_id}",
        source=transcript.url,
        media_type="video/youtube",
        metadata={
            "video_id": transcript.video_id,
            "language_code": transcript.language_code,
            "is_generated": transcript.is_generated,
        },
    )
    return collection.add_document(document, chunks, on_batch=on_batch)

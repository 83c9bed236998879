"""Steps of the ``youtube`` workflow."""

from __future__ import annotations

from celery import shared_task

from app import knowledge, youtube
from workers.engine import JobStep
from workers.errors import TransientError
from workers.knowledge.youtube import Transcript
from workers.tasks.knowledge_steps import batch_progress, step_errors


@shared_task(name="dia3.youtube.transcript", base=JobStep, bind=True, keep_output=True,
             soft_time_limit=120, time_limit=180)
def transcript(self, video_id: str, languages: list[str] | None) -> dict:
    """Fetch under the shared quota; the retry count picks the replayed attempt in tests."""
    with step_errors():
        fetcher = youtube.fetcher(video_id, attempt=self.request.retries or 0)
        return fetcher.fetch(video_id, youtube.languages(languages)).to_dict()


def _transcript(task) -> Transcript:
    return Transcript.from_dict(task.outputs()["transcript"])


@shared_task(name="dia3.youtube.index", base=JobStep, bind=True, keep_output=True)
def index(self, _previous, tenant: str, collection: str, title: str | None) -> dict:
    with step_errors():
        return knowledge.ingest_transcript(tenant, collection, _transcript(self), title,
                                           on_batch=batch_progress(self)).to_dict()


@shared_task(name="dia3.youtube.analyse", base=JobStep, bind=True, keep_output=True)
def analyse(self, _previous, tenant: str, collection: str, summary_sentences: int,
            window_seconds: float | None) -> dict:
    with step_errors():
        return youtube.analyse(tenant, collection, _transcript(self), summary_sentences,
                               window_seconds)


@shared_task(name="dia3.youtube.report", base=JobStep, bind=True, ignore_result=True,
             final=True, soft_time_limit=120, time_limit=180)
def report(self, _header_results, collection: str) -> dict:
    outputs = self.outputs()
    missing = {"transcript", "index", "analyse"} - set(outputs)
    if missing:
        raise TransientError(f"outputs of {', '.join(sorted(missing))} not present yet")
    return youtube.report(Transcript.from_dict(outputs["transcript"]), collection,
                          outputs["index"], outputs["analyse"])

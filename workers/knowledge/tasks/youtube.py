"""Steps of the ``youtube`` workflow."""

from __future__ import annotations

from app.workflows.knowledge import steps as knowledge_steps
from workers.knowledge import ingestion
from workers.knowledge import transcripts as youtube
from workers.knowledge.engine.youtube import Transcript
from workers.knowledge.tasks.steps import batch_progress, step_errors
from workers.runtime.errors import TransientError
from workers.runtime.job_step import job_task


@job_task(knowledge_steps.YOUTUBE_TRANSCRIPT, keep_output=True,
          soft_time_limit=120, time_limit=180)
def transcript(self, video_id: str, languages: list[str] | None) -> dict:
    """Fetch under the shared quota; the retry count picks the replayed attempt in tests."""
    with step_errors():
        fetcher = youtube.fetcher(video_id, attempt=self.request.retries or 0)
        return fetcher.fetch(video_id, youtube.languages(languages)).to_dict()


def _transcript(task) -> Transcript:
    return Transcript.from_dict(task.outputs()["transcript"])


@job_task(knowledge_steps.YOUTUBE_INDEX, keep_output=True)
def index(self, _previous, tenant: str, collection: str, title: str | None) -> dict:
    with step_errors():
        return ingestion.ingest_transcript(tenant, collection, _transcript(self), title,
                                           on_batch=batch_progress(self)).to_dict()


@job_task(knowledge_steps.YOUTUBE_ANALYSE, keep_output=True)
def analyse(self, _previous, tenant: str, collection: str, summary_sentences: int,
            window_seconds: float | None) -> dict:
    with step_errors():
        return youtube.analyse(tenant, collection, _transcript(self), summary_sentences,
                               window_seconds)


@job_task(knowledge_steps.YOUTUBE_REPORT, ignore_result=True,
          final=True, soft_time_limit=120, time_limit=180)
def report(self, _header_results, collection: str) -> dict:
    outputs = self.outputs()
    missing = {"transcript", "index", "analyse"} - set(outputs)
    if missing:
        raise TransientError(f"outputs of {', '.join(sorted(missing))} not present yet")
    return youtube.report(Transcript.from_dict(outputs["transcript"]), collection,
                          outputs["index"], outputs["analyse"])

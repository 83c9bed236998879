"""Steps of the ``sentiment`` workflow."""

from __future__ import annotations

from app.extensions import job_store
from app.logs import job_id_var
from app.workflows.sentiment import steps as sentiment_steps
from workers.llm.configured import llm_client
from workers.llm.job_calls import llm_call
from workers.runtime.errors import PermanentError, TransientError
from workers.runtime.job_step import job_task
from workers.sentiment.engine.llm import IncompleteRatings, score_with_llm
from workers.sentiment.engine.vader import build_items, score_texts, summarise


@job_task(sentiment_steps.SCORE_BATCH, keep_output=True)
def score_batch(self, texts: list[str], offset: int, backend: str = "vader") -> dict:
    if backend == "vader":
        return {"offset": offset, "scores": score_texts(texts, check=self.check_cancelled)}
    try:
        scores = llm_call(lambda: score_with_llm(
            llm_client(backend), texts, check=self.check_cancelled,
            on_usage=lambda usage: job_store().add_usage(job_id_var.get(), usage)))
    except IncompleteRatings as error:
        raise PermanentError(str(error)) from None
    return {"offset": offset, "scores": scores}


@job_task(sentiment_steps.AGGREGATE, ignore_result=True,
          final=True, soft_time_limit=120, time_limit=180)
def aggregate(self, _header_results, n_batches: int, ids=None, timestamps=None,
              bucket: str = "auto", analyser: str = "vader") -> dict:
    batches = [out for step, out in self.outputs().items() if step.startswith("batch-")]
    if len(batches) != n_batches:
        # A batch's output is not visible yet (e.g. replayed after a Redis restart): retry.
        raise TransientError(f"{len(batches)} of {n_batches} batch outputs present")
    scores = [row for batch in sorted(batches, key=lambda b: b["offset"])
              for row in batch["scores"]]
    result = summarise(build_items(scores, ids), timestamps, bucket)
    result["analyser"] = analyser
    if analyser != "vader":
        from workers.strategic_analysis.tasks import job_usage
        result["usage"] = job_usage()
    return result

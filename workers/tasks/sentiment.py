"""Steps of the ``sentiment`` workflow."""

from __future__ import annotations

from celery import shared_task

from app.context import job_store
from app.llm import llm_client
from app.logs import job_id_var
from workers.agents.sentiment_llm import score_with_llm
from workers.analytics.sentiment import build_items, score_texts, summarise
from workers.engine import JobStep
from workers.errors import TransientError


@shared_task(name="dia3.sentiment.score_batch", base=JobStep, bind=True, keep_output=True)
def score_batch(self, texts: list[str], offset: int, backend: str = "vader") -> dict:
    if backend == "vader":
        return {"offset": offset, "scores": score_texts(texts, check=self.check_cancelled)}
    from workers.tasks.agents import llm_call
    scores = llm_call(lambda: score_with_llm(
        llm_client(backend), texts, check=self.check_cancelled,
        on_usage=lambda usage: job_store().add_usage(job_id_var.get(), usage)))
    return {"offset": offset, "scores": scores}


@shared_task(name="dia3.sentiment.aggregate", base=JobStep, bind=True, ignore_result=True,
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
        from workers.tasks.agents import job_usage
        result["usage"] = job_usage()
    return result

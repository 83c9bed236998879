"""Steps of the ``sentiment`` workflow."""

from __future__ import annotations

from celery import shared_task

from workers.analytics.sentiment import build_items, score_texts, summarise
from workers.engine import JobStep
from workers.errors import TransientError


@shared_task(name="dia3.sentiment.score_batch", base=JobStep, bind=True, keep_output=True)
def score_batch(self, texts: list[str], offset: int) -> dict:
    return {"offset": offset, "scores": score_texts(texts, check=self.check_cancelled)}


@shared_task(name="dia3.sentiment.aggregate", base=JobStep, bind=True, ignore_result=True,
             final=True, soft_time_limit=120, time_limit=180)
def aggregate(self, _header_results, n_batches: int, ids=None, timestamps=None,
              bucket: str = "auto") -> dict:
    batches = [out for step, out in self.outputs().items() if step.startswith("batch-")]
    if len(batches) != n_batches:
        # A batch's output is not visible yet (e.g. replayed after a Redis restart): retry.
        raise TransientError(f"{len(batches)} of {n_batches} batch outputs present")
    scores = [row for batch in sorted(batches, key=lambda b: b["offset"])
              for row in batch["scores"]]
    return summarise(build_items(scores, ids), timestamps, bucket)

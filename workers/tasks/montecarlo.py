"""Steps of the ``monte_carlo`` workflow."""

from __future__ import annotations

from celery import shared_task

from workers.analytics.montecarlo import merge_shards, run_shard
from workers.engine import JobStep
from workers.errors import TransientError


@shared_task(name="dia3.montecarlo.shard", base=JobStep, bind=True, keep_output=True)
def shard(self, shard_spec: dict) -> dict:
    self.check_cancelled()
    return run_shard(shard_spec)


@shared_task(name="dia3.montecarlo.merge", base=JobStep, bind=True, ignore_result=True,
             final=True)
def merge(self, _header_results, n_shards: int) -> dict:
    parts = [out for step, out in self.outputs().items() if step.startswith("shard-")]
    if len(parts) != n_shards:
        raise TransientError(f"{len(parts)} of {n_shards} shard outputs present")
    return merge_shards(parts)

"""Steps of the ``monte_carlo`` workflow."""

from __future__ import annotations

from app.workflows.monte_carlo import steps as monte_carlo_steps
from workers.monte_carlo.engine import merge_shards, run_shard
from workers.runtime.errors import TransientError
from workers.runtime.job_step import job_task


@job_task(monte_carlo_steps.SHARD, keep_output=True)
def shard(self, shard_spec: dict) -> dict:
    self.check_cancelled()
    return run_shard(shard_spec)


@job_task(monte_carlo_steps.MERGE, ignore_result=True,
          final=True)
def merge(self, _header_results, n_shards: int) -> dict:
    parts = [out for step, out in self.outputs().items() if step.startswith("shard-")]
    if len(parts) != n_shards:
        raise TransientError(f"{len(parts)} of {n_shards} shard outputs present")
    return merge_shards(parts)

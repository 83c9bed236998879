"""The short chaos run (the long one is ``python -m benchmarks.chaos``): mixed jobs on two
``dia3 worker`` processes while pool processes and whole workers are SIGKILLed and Redis
(AOF, appendfsync always) is SIGKILLed and restarted. Nothing may be lost or counted twice."""

import pytest

from benchmarks.chaos import run_chaos
from benchmarks.report import print_table


@pytest.mark.timeout(900)
def test_every_job_succeeds_with_each_unit_once_under_kills_and_a_redis_restart():
    stats = run_chaos(jobs=60, workers=2, concurrency=2, seed=11, scale=2,
                      fault_interval=(1.0, 2.5), drain_timeout=600)
    print_table("Chaos run (CI size)", ["measure", "value"], stats.rows())
    assert stats.redis_restarts == 1 and stats.worker_kills >= 1 and stats.pool_kills >= 1
    assert stats.lost == [], stats.failures
    assert stats.succeeded == stats.jobs == 60
    assert stats.chunks > 0  # the knowledge base holds each reported chunk once
    assert stats.duplicated == 0 and stats.missing == 0, stats.anomalies

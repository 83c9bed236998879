"""Redis high availability on loopback: a primary, two replicas and three Sentinels, the API
and a real ``dia3 worker`` following the Sentinels, jobs submitted without pause while the
primary is SIGKILLed. Every accepted job completes with each item once; a submission the
failover refused was answered 503 with Retry-After, and its retry (same idempotency key) was
accepted once the new primary took writes."""

import pytest

from benchmarks.redis_failover import run_failover
from benchmarks.report import print_table


@pytest.mark.timeout(180)
def test_a_killed_primary_loses_no_accepted_job_and_refusals_say_when_to_retry():
    stats = run_failover(min_replicas=1, texts=30, warmup_jobs=10, after_jobs=10)
    print_table("Redis failover (test size)", ["measure", "value"], stats.rows())
    assert stats.errors == [] and stats.processes_exited == []  # the worker rode it out
    assert stats.lost == {}, stats.lost
    assert stats.succeeded == stats.accepted >= 20
    assert stats.duplicated == 0 and stats.missing == 0
    # refused meanwhile: a 503 with Retry-After, never a hang up (or a submission that
    # rode through the failover, redis-py asking the Sentinels again, and was accepted)
    assert stats.refusals_without_retry_after == 0 and stats.unanswered == 0
    assert stats.longest_submit_seconds < 10
    assert stats.failover_seconds < 30

"""The reaper's lost-job sweep against the depth of the backlog: how long Redis waits per
slice and per pass, and how many passes a complete sweep takes, for queues of 5,000, 10,000
and 100,000 real ``smoke`` step messages (each pass reads at most ``SLICES_PER_PASS`` slices
of ``SCAN_SLICE`` messages); beside it, for a backlog under 16 MB, the one Lua call over all
of it that the check used to make (past 16 MB it skipped the check).

    python -m benchmarks.reaper_sweep [--sizes 5000 10000 100000] [--jobs 100]

``--jobs`` stale jobs are looked for, half of them with a message in the backlog. It claims
a free database of the Redis on 127.0.0.1:6379 (or runs an embedded one); no worker runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.report import print_table, save
from benchmarks.stack import private_redis

QUEUE = "default"
#: the backlog past which the check used to be skipped (beyond it, one call would block
#: Redis for seconds: Lua's time limit makes every other client's command fail with BUSY)
OLD_LIMIT_MB = 16


def template() -> str:
    """A real smoke step message as it waits in its queue (sent by the API's own code)."""
    from app import service
    from app.audit import OPERATOR
    from app.redis_client import get_redis
    job, _ = service.submit(OPERATOR, "smoke", {"start": 1})
    raw = get_redis().lindex(QUEUE, 0)
    get_redis().delete(QUEUE)
    return raw.replace(job.id, "{job}")


def fill(message: str, size: int, waiting: list[str]) -> None:
    """``size`` messages, those of the waiting jobs spread through them; the rest of jobs
    the sweep does not look for."""
    from app.redis_client import get_redis
    client = get_redis()
    every = max(1, size // max(1, len(waiting)))
    batch: list[str] = []
    for i in range(size):
        job = waiting[i // every] if i % every == 0 and i // every < len(waiting) else \
            f"{i:032x}"
        batch.append(message.replace("{job}", job))
        if len(batch) == 5000:
            client.lpush(QUEUE, *batch)
            batch = []
    if batch:
        client.lpush(QUEUE, *batch)


def stale_jobs(n: int) -> list[str]:
    from app.extensions import job_store
    from app.jobs.store import new_job_id
    store = job_store()
    ids = []
    for _ in range(n):
        job, _ = store.create(job_id=new_job_id(), workflow="smoke", tenant="bench",
                              owner="bench", params={"start": 1}, steps_total=3,
                              tasks={"first": "t1", "second": "t2", "finish": "t3"})
        ids.append(job.id)
    store.mark_alive(ids, 1.0)  # silent for long: the first a sweep looks for
    return ids


def measure(message: str, size: int, jobs: int) -> dict:
    from app.redis_client import get_redis
    from workers.runtime import reaper
    client = get_redis()
    looked_for = stale_jobs(jobs)
    waiting = looked_for[: jobs // 2]
    fill(message, size, waiting)
    megabytes = (client.memory_usage(QUEUE, samples=5) or 0) / 2**20
    slices: list[float] = []
    timed = client.eval

    def eval_timed(*args, **kwargs):
        began = time.perf_counter()
        try:
            return timed(*args, **kwargs)
        finally:
            if args[0] is reaper._SCAN_SLICE:
                slices.append((time.perf_counter() - began) * 1000)
    client.eval = eval_timed  # type: ignore[method-assign]
    passes, per_pass, lost = 0, [], None
    later = time.time() + 10_000
    while lost is None:
        began = time.perf_counter()
        lost = reaper.sweep(later)
        per_pass.append((time.perf_counter() - began) * 1000)
        passes += 1
    del client.eval
    assert set(lost) == set(looked_for) - set(waiting), "the sweep found the wrong jobs"
    whole = None
    if megabytes <= OLD_LIMIT_MB:  # the one call over everything the check used to make
        began = time.perf_counter()
        client.hset(reaper.SWEEP_JOBS, mapping=dict.fromkeys(looked_for, "0"))
        client.eval(reaper._SCAN_SLICE, 3, reaper.SWEEP_JOBS, reaper.SWEEP_FOUND, QUEUE, 0, -1)
        whole = (time.perf_counter() - began) * 1000
    client.delete(QUEUE, reaper.SWEEP_JOBS, reaper.SWEEP_FOUND)
    from app.extensions import job_store
    for job_id in looked_for:  # the next size looks for jobs of its own
        job_store().delete(job_id)
    return {"messages": size, "backlog_mb": megabytes, "passes": passes,
            "slice_ms_p50": statistics.median(slices), "slice_ms_max": max(slices),
            "pass_ms_max": max(per_pass), "sweep_ms_total": sum(per_pass),
            "one_call_ms": whole}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 10_000, 100_000])
    parser.add_argument("--jobs", type=int, default=100)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dia3-bench-reaper-"))
    with private_redis(tmp / "redis") as url:
        os.environ.update({"DIA3_REDIS_URL": url, "DIA3_DATA_DIR": str(tmp / "data"),
                           "DIA3_LOG_LEVEL": "WARNING", "DIA3_QUEUE_MAX_DEPTH": "0"})
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        from app import extensions
        from app.settings import reload_settings
        reload_settings()
        extensions.reset()
        from workers.runtime import reaper
        message = template()
        load_before = os.getloadavg()
        rows = [measure(message, size, args.jobs) for size in args.sizes]
        print_table(f"lost-job sweep, {args.jobs} stale jobs looked for, "
                    f"{reaper.SCAN_SLICE} messages a slice, {reaper.SLICES_PER_PASS} a pass "
                    f"(message of {len(message)} bytes)",
                    ["messages", "MB", "passes", "slice p50 ms", "slice max ms",
                     "pass max ms", "sweep total ms", "one call over all ms"],
                    [[r["messages"], r["backlog_mb"], r["passes"], r["slice_ms_p50"],
                      r["slice_ms_max"], r["pass_ms_max"], r["sweep_ms_total"],
                      r["one_call_ms"]] for r in rows])
        save("reaper_sweep", {"args": vars(args), "message_bytes": len(message),
                              "load_average_before": load_before,
                              "load_average_after": os.getloadavg(),
                              "slice": reaper.SCAN_SLICE, "slices_per_pass":
                              reaper.SLICES_PER_PASS, "sizes": rows,
                              "template": json.loads(message)["headers"]["task"]})


if __name__ == "__main__":
    main()

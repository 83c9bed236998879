"""The job store against its size: memory per finished job (and where it goes), list and
pagination latency, the submit rate, the purge rate and a reaper pass, at 10,000, 100,000 and
1,000,000 finished jobs.

    python -m benchmarks.job_store_scale [--sizes 10000 100000 1000000] [--samples 300]

It runs its own embedded Redis (AOF on, ``hash-max-ziplist-value 256``, as ``dia3 up`` runs
it) so that ``used_memory`` is this store's alone, and fills it through the job store's own
code: jobs recorded in batches (``create_many``, as a bulk submission does) and finished one
by one with a small inline result (by ``FILLERS`` processes at once), spread over 10 tenants
and 3 workflows. Memory per job is the growth of Redis's ``used_memory`` over the jobs added
(each with its params, step record and indexes), once their own event streams have expired
(``DIA3_JOB_EVENTS_TTL``); "results aside" takes off what the results weigh. The breakdown
weighs the keys of ``WEIGHED`` jobs with ``MEMORY USAGE`` and shares every index and tenant
event stream out over the jobs. Lists are a tenant's newest page, a filtered page and a page
five cursors deep, 50 jobs each. The submit rate is single submissions one after another;
the purge rate is retention's purge of the oldest jobs (refilled afterwards, so the sizes
stay as stated); a reaper pass is one ``reap_once`` (no worker runs: nothing is lost).
The load average (1 minute) is taken as each size starts filling and as its lists start.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import tempfile
import time
from pathlib import Path

from benchmarks.report import percentile, print_table, save

TENANTS = [f"tenant-{i}" for i in range(10)]
WORKFLOWS = ("smoke", "sentiment", "forecast")
BATCH = 1000
PAGE = 50
FILLERS = 3
#: DIA3_JOB_EVENTS_TTL here, seconds
EVENTS_TTL = 1
#: jobs whose keys are weighed one by one (MEMORY USAGE) for the breakdown
WEIGHED = 2000


def _record(store_module, i: int) -> dict:
    return {"job_id": store_module.new_job_id(), "workflow": WORKFLOWS[i % 3],
            "tenant": TENANTS[i % 10], "owner": "bench", "params": {"start": i},
            "steps_total": 1, "tasks": {"finish": f"t{i}"}}


def _fill_batch(start: int, count: int) -> None:
    from app.extensions import job_store
    from app.jobs import store as store_module
    store = job_store()
    records = [_record(store_module, start + i) for i in range(count)]
    for job, _ in store.create_many(records):
        store.finish(job.id, "finish", {"value": 1}, 0.001)


def _fill_range(starts: list[tuple[int, int]]) -> None:
    for start, count in starts:  # a forked filler makes its own clients (process-local)
        _fill_batch(start, count)


def fill(count: int, offset: int) -> None:
    """Record and finish ``count`` jobs (numbered from ``offset``): batches of ``BATCH``
    recorded in one pipelined round trip each, then finished one by one (as workers do), by
    ``FILLERS`` processes at once so that Redis, not one client, sets the pace."""
    batches = [(offset + start, min(BATCH, count - start)) for start in range(0, count, BATCH)]
    if len(batches) < FILLERS:
        _fill_range(batches)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(FILLERS) as pool:
        pool.map(_fill_range, [batches[i::FILLERS] for i in range(FILLERS)])


def used_memory() -> int:
    """Redis's ``used_memory`` once the finished jobs' own event streams have expired
    (``DIA3_JOB_EVENTS_TTL`` is 1 s here: a store holds mostly jobs older than its 1 h
    default). A full SCAN makes Redis drop every expired key it visits."""
    from app.redis_client import get_redis
    client = get_redis()
    time.sleep(EVENTS_TTL + 1)  # the streams of the jobs finished last are due too
    for _ in client.scan_iter(count=5000):
        pass
    return int(client.info("memory")["used_memory"])


def breakdown(size: int) -> dict[str, float]:
    """Where a finished job's bytes go, by ``MEMORY USAGE`` (which counts a key's name and
    Redis's per-key overhead with its value): the job's own keys, averaged over ``WEIGHED``
    jobs; every index and tenant event stream, shared out over the ``size`` jobs."""
    from app import redis_keys as keys
    from app.redis_client import get_redis
    client = get_redis()
    sample = client.zrandmember(keys.index(None, "succeeded"), WEIGHED)
    owned = {"hash": lambda j: keys.job(j), "result": keys.result,
             **{part: (lambda j, part=part: keys.job(j, part)) for part in keys.JOB_PARTS}}
    pipe = client.pipeline(transaction=False)
    for job_id in sample:
        for name_of in owned.values():
            pipe.memory_usage(name_of(job_id))
    sizes = iter(pipe.execute())
    out = dict.fromkeys(owned, 0.0)
    for _ in sample:
        for part in owned:
            out[part] += (next(sizes) or 0) / len(sample)
    out = {f"job {part}": value for part, value in out.items() if value}
    indexes = f"{keys.PREFIX}idx:"
    shared = {"state indexes": 0, "every-state indexes": 0, "id indexes": 0,
              "tenant event streams": 0}
    for pattern in (indexes + "*", keys.tenant_events("*")):
        for key in client.scan_iter(match=pattern, count=1000):
            kind = ("tenant event streams" if not key.startswith(indexes)
                    else "id indexes" if key.endswith(":ids")
                    else "state indexes" if ":s:" in key else "every-state indexes")
            shared[kind] += client.memory_usage(key, samples=0) or 0
    out |= {name: total / size for name, total in shared.items() if total}
    return out


def reaper_pass_ms(passes: int) -> list[float]:
    """One reaper pass (lost messages and lost jobs) at a time, its lock freed between."""
    from app import redis_keys
    from app.redis_client import get_redis
    from workers.runtime.reaper import reap_once
    times = []
    for _ in range(passes):
        get_redis().delete(redis_keys.REAPER_LOCK)
        times.append(timed_ms(reap_once))
    return times


def timed_ms(call) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def list_latencies(samples: int, rng: random.Random) -> dict[str, list[float]]:
    from app.extensions import job_store
    store = job_store()
    out: dict[str, list[float]] = {"newest": [], "filtered": [], "deep": []}

    def deep(tenant: str) -> None:
        cursor = None
        for _ in range(5):
            cursor = store.list(tenant, limit=PAGE, cursor=cursor).next_cursor
    for _ in range(samples):
        tenant, workflow = rng.choice(TENANTS), rng.choice(WORKFLOWS)
        out["newest"].append(timed_ms(lambda t=tenant: store.list(t, limit=PAGE)))
        out["filtered"].append(timed_ms(lambda t=tenant, w=workflow: store.list(
            t, state="succeeded", workflow=w, limit=PAGE)))
    for _ in range(max(1, samples // 5)):
        out["deep"].append(timed_ms(lambda: deep(rng.choice(TENANTS))) / 5)
    return out


def submit_rate(count: int) -> float:
    """Single submissions per second into the store of this size (jobs removed after)."""
    from app.extensions import job_store
    from app.jobs import store as store_module
    store = job_store()
    records = [_record(store_module, i) for i in range(count)]
    began = time.perf_counter()
    for record in records:
        store.create(**record)
    rate = count / (time.perf_counter() - began)
    for record in records:
        store.delete(record["job_id"])
    return rate


def purge_rate(count: int, total: int) -> float:
    """Retention's purge of the ``count`` oldest jobs, per second; refilled after."""
    from app import retention
    began = time.perf_counter()
    report = retention.purge_finished(time.time() + 1, limit=count)
    rate = report.total / (time.perf_counter() - began)
    fill(report.total, total)
    return rate


def measure(size: int, have: int, baseline: int, samples: int, rng: random.Random) -> dict:
    load = os.getloadavg()
    began = time.perf_counter()
    fill(size - have, have)
    fill_s = time.perf_counter() - began
    per_job = (used_memory() - baseline) / size
    parts = breakdown(size)
    load_lists = os.getloadavg()
    lists = list_latencies(samples, rng)
    reaper = reaper_pass_ms(20)
    row = {"jobs": size, "load_average_at_start": load, "load_average_at_lists": load_lists,
           "bytes_per_job": per_job,
           "bytes_per_job_results_aside": per_job - parts.get("job result", 0.0),
           "breakdown_bytes_per_job": parts, "fill_jobs_per_s": (size - have) / fill_s,
           "submit_per_s": submit_rate(2000), "purge_per_s": purge_rate(5000, size),
           "reaper_pass_p50_ms": percentile(reaper, 50),
           "reaper_pass_max_ms": max(reaper)}
    for name, values in lists.items():
        row[f"{name}_p50_ms"] = percentile(values, 50)
        row[f"{name}_p95_ms"] = percentile(values, 95)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dia3-bench-store-"))
    from app.runtime.embedded_redis import EmbeddedRedis
    redis_server = EmbeddedRedis(tmp)
    os.environ.update({"DIA3_REDIS_URL": redis_server.start(),
                       "DIA3_JOB_EVENTS_TTL": str(EVENTS_TTL), "DIA3_DATA_DIR": str(tmp / "data"),
                       "DIA3_LOG_LEVEL": "WARNING"})
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    try:
        from app import extensions
        from app.settings import reload_settings
        reload_settings()
        extensions.reset()
        baseline, rows, have = used_memory(), [], 0
        rng = random.Random(7)
        load_before = os.getloadavg()
        for size in sorted(args.sizes):
            rows.append(measure(size, have, baseline, args.samples, rng))
            have = size
            print(f"{size} jobs measured", flush=True)
        print_table("Job store against its size (finished jobs, 10 tenants, pages of 50)",
                    ["jobs", "load at start / lists", "bytes/job", "results aside",
                     "fill jobs/s", "submit/s", "purge/s", "newest p50/p95 ms",
                     "filtered p50/p95 ms", "5 pages deep p50/p95 ms", "reaper pass p50/max ms"],
                    [[r["jobs"], f"{r['load_average_at_start'][0]:.1f} / "
                      f"{r['load_average_at_lists'][0]:.1f}", r["bytes_per_job"],
                      r["bytes_per_job_results_aside"], r["fill_jobs_per_s"],
                      r["submit_per_s"], r["purge_per_s"],
                      f"{r['newest_p50_ms']:.2f} / {r['newest_p95_ms']:.2f}",
                      f"{r['filtered_p50_ms']:.2f} / {r['filtered_p95_ms']:.2f}",
                      f"{r['deep_p50_ms']:.2f} / {r['deep_p95_ms']:.2f}",
                      f"{r['reaper_pass_p50_ms']:.2f} / {r['reaper_pass_max_ms']:.2f}"]
                     for r in rows])
        for r in rows:
            print_table(f"Where a job's bytes go at {r['jobs']} jobs", ["part", "bytes/job"],
                        sorted(r["breakdown_bytes_per_job"].items(), key=lambda kv: -kv[1]))
        save("job_store_scale", {"args": vars(args), "sizes": rows,
                                 "load_average_before": load_before,
                                 "load_average_after": os.getloadavg()})
    finally:
        redis_server.stop()


if __name__ == "__main__":
    main()

"""Event streams at scale: many SSE clients on one API process, its memory and the delay
from a job's state change to a client.

One ``dia3 api`` process (gunicorn, one worker, the shipped thread settings) on a real Redis;
queued jobs are made directly in the job store (no worker needed), one per client. Every
client (asyncio + httpx, in this process) follows its job's stream
(``GET /api/v1/jobs/<id>/events``); once all are connected, every job is started and then
cancelled, a few hundred changes a second, and each client records when each event arrived.
Delay = arrival − the event's ``at`` (both from this machine's clock). Baseline in the same
run: the same with one client, and the API's memory before any stream opened.

Run: ``python -m benchmarks.event_streams [--clients 500] [--rate 300]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time

import httpx
import psutil

from benchmarks.report import percentile, print_table, save
from benchmarks.stack import Stack

TARGET_P95_MS = 100.0


def api_worker_rss_mb(api: psutil.Process) -> float:
    """RSS of the API's gunicorn worker (the process serving the streams)."""
    workers = api.children(recursive=True)
    return max(p.memory_info().rss for p in workers or [api]) / 2 ** 20


async def follow(client: httpx.AsyncClient, job_id: str, connected: asyncio.Event,
                 delays: list[float], counter: list[int], clients: int) -> None:
    async with client.stream("GET", f"/api/v1/jobs/{job_id}/events") as response:
        assert response.status_code == 200, await response.aread()
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue
            event = json.loads(line[5:])
            if event["type"] == "job.queued":
                counter[0] += 1
                if counter[0] == clients:
                    connected.set()
                continue
            delays.append(time.time() - event["at"])


def drive(store, job_ids: list[str], rate: float) -> None:
    """Start, then cancel, every job at ``rate`` changes a second."""
    pause = 1 / rate
    for change in ("start", "cancel"):
        for job_id in job_ids:
            if change == "start":
                store.step_start(job_id, "s", "t", "bench")
            else:
                store.cancel(job_id)
            time.sleep(pause)  # pacing the changes, not waiting for a condition


async def run_round(stack: Stack, store, clients: int, rate: float,
                    api: psutil.Process) -> dict:
    from app.jobs.store import new_job_id
    job_ids = [store.create(job_id=new_job_id(), workflow="smoke", tenant="default",
                            owner="bench", params={}, steps_total=1, tasks={"s": "t"})[0].id
               for _ in range(clients)]
    rss_before = api_worker_rss_mb(api)
    delays: list[float] = []
    connected, counter = asyncio.Event(), [0]
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=stack.api_url, headers={"X-API-Key": stack.key},
                                 limits=limits, timeout=httpx.Timeout(120.0)) as client:
        tasks = [asyncio.create_task(follow(client, job_id, connected, delays, counter,
                                            clients)) for job_id in job_ids]
        await asyncio.wait_for(connected.wait(), timeout=120)
        rss_streaming = api_worker_rss_mb(api)
        driver = threading.Thread(target=drive, args=(store, job_ids, rate))
        started = time.monotonic()
        driver.start()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=300)  # each ends when cancelled
        driver.join()
        elapsed = time.monotonic() - started
    ms = [d * 1000 for d in delays]
    return {"clients": clients, "events": len(ms), "seconds": elapsed,
            "rss_idle_mb": rss_before, "rss_streaming_mb": rss_streaming,
            "delay_p50_ms": percentile(ms, 50), "delay_p95_ms": percentile(ms, 95),
            "delay_max_ms": max(ms)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rate", type=float, default=300.0, help="state changes a second")
    args = parser.parse_args()
    stack = Stack()
    stack.env.update({"DIA3_API_WORKERS": "1", "DIA3_EVENTS_MAX_STREAMS":
                      str(max(500, args.clients))})
    os.environ.update({"DIA3_REDIS_URL": stack.redis_url, "DIA3_DATA_DIR": str(stack.tmp)})
    try:
        api = psutil.Process(stack.spawn(sys.executable, "-m", "app.cli", "api").pid)
        stack._wait_ready("/healthz")
        from app.extensions import job_store
        store = job_store()
        rounds = [asyncio.run(run_round(stack, store, n, args.rate, api))
                  for n in (1, args.clients)]
    finally:
        stack.stop()
    print_table(f"Event streams on one API process (target p95 < {TARGET_P95_MS:.0f} ms)",
                ["clients", "events", "RSS idle MB", "RSS streaming MB", "p50 ms", "p95 ms",
                 "max ms"],
                [[r["clients"], r["events"], r["rss_idle_mb"], r["rss_streaming_mb"],
                  r["delay_p50_ms"], r["delay_p95_ms"], r["delay_max_ms"]] for r in rounds])
    save("event_streams", {"rate": args.rate, "rounds": rounds,
                           "target_p95_ms": TARGET_P95_MS,
                           "met": rounds[-1]["delay_p95_ms"] < TARGET_P95_MS})


if __name__ == "__main__":
    main()

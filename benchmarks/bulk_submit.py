"""Bulk submission: N ``smoke`` jobs through the real API (gunicorn) on real Redis, one
``POST /jobs`` per job against ``POST /jobs/batch`` with 100 and 1000 jobs a request, each
job with its own idempotency key; jobs accepted per second and the ratio to one by one
(target: at least 5x). Rounds alternate the modes so that load from other work hits all alike.

No worker runs (the submission path alone is measured) and backpressure is off, since the
queue only grows; its messages are dropped after each run of a mode.

    python -m benchmarks.bulk_submit [--jobs 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
import uuid

from app.metrics import queue_keys
from benchmarks.report import print_table, save
from benchmarks.stack import Stack


class Api:
    """One keep-alive connection to the API (lighter on the shared CPU than requests)."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self.conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=120)
        self.headers = {"X-API-Key": stack.key, "Content-Type": "application/json"}

    def post(self, path: str, body: dict, expected: int) -> dict:
        payload = json.dumps(body)
        try:
            self.conn.request("POST", path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.conn.close()  # the server closed an idle keep-alive connection
            self.conn.request("POST", path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
        answer = json.loads(response.read())
        if response.status != expected:
            raise RuntimeError(f"POST {path}: {response.status} {answer}")
        return answer


def jobs(n: int) -> list[dict]:
    run = uuid.uuid4().hex[:8]
    return [{"workflow": "smoke", "params": {"start": i}, "idempotency_key": f"{run}-{i}"}
            for i in range(n)]


def one_by_one(api: Api, todo: list[dict]) -> int:
    for job in todo:
        api.post("/api/v1/jobs", job, 202)
    return len(todo)


def in_batches(api: Api, todo: list[dict], size: int) -> int:
    created = 0
    for start in range(0, len(todo), size):
        answer = api.post("/api/v1/jobs/batch", {"jobs": todo[start:start + size]}, 200)
        if answer["failed"]:
            raise RuntimeError(f"refused jobs: {answer['items'][:3]}")
        created += answer["created"]
    return created


def measure(stack: Stack, api: Api, mode: str, n: int) -> float:
    """Jobs accepted per second by one mode."""
    todo = jobs(n)
    began = time.perf_counter()
    created = one_by_one(api, todo) if mode == "one by one" else \
        in_batches(api, todo, int(mode.split()[-1]))
    elapsed = time.perf_counter() - began
    assert created == n, (mode, created)
    stack.client.delete(*queue_keys("default"))  # no worker: the messages only pile up
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2000, help="jobs per mode and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()

    stack = Stack(args.redis_url)
    stack.env["DIA3_QUEUE_MAX_DEPTH"] = "0"
    modes = ["one by one", "batch of 100", "batch of 1000"]
    load_before = os.getloadavg()
    try:
        stack.spawn(sys.executable, "-m", "app.cli", "api")
        stack._wait_ready("/healthz")
        api = Api(stack)
        for mode in modes:  # warm-up: imports, connections, the first of each path
            measure(stack, api, mode, 200)
        rates: dict[str, list[float]] = {mode: [] for mode in modes}
        for _ in range(args.rounds):
            for mode in modes:
                rates[mode].append(measure(stack, api, mode, args.jobs))
        summary = {mode: {"jobs_per_s": statistics.median(r), "jobs_per_s_rounds": r}
                   for mode, r in rates.items()}
        single = summary["one by one"]["jobs_per_s"]
        ratios = {mode: summary[mode]["jobs_per_s"] / single for mode in modes[1:]}
        print_table(f"{args.jobs} smoke jobs x {args.rounds} rounds through the API, "
                    "each with an idempotency key",
                    ["mode", "jobs/s (median)", "x one by one"],
                    [[mode, s["jobs_per_s"], s["jobs_per_s"] / single]
                     for mode, s in summary.items()])
        print("target: batches of 1000 at least 5x one by one: "
              + ("met" if ratios["batch of 1000"] >= 5 else "NOT met"))
        save("bulk_submit", {"args": vars(args), "load_average_before": load_before,
                             "load_average_after": os.getloadavg(),
                             "redis": "embedded" if stack.embedded else "external",
                             "modes": summary, "ratio_to_one_by_one": ratios})
    finally:
        stack.stop()


if __name__ == "__main__":
    main()

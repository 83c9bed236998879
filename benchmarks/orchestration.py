"""Engine overhead: a trivial 3-step workflow through DIA3 (REST submit → done) against the
same 3-task chain in raw Celery, on the same Redis and worker settings, in one run; plus
``sentiment`` throughput and accuracy on the VADER tweets ground truth.

    python -m benchmarks.orchestration [--jobs 400] [--rounds 3] [--vader-dir DIR]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

from app import redis_keys
from benchmarks.report import percentile, print_table, save
from benchmarks.stack import ROOT, Stack


def _wait_all(pending: set[str], runner) -> dict[str, float]:
    """Poll a cheap finished-count until every job is done, then read the finish times once
    (id → finish epoch). Both systems are polled the same way, with one command per poll."""
    deadline = time.monotonic() + 600
    target = runner.finished_count_before + len(pending)
    while runner.finished_count() < target:
        if time.monotonic() > deadline:
            raise TimeoutError("jobs did not finish")
        time.sleep(0.005)  # polling the job store
    runner.finished_count_before = target
    return runner.read_done(list(pending))


class Dia3Runner:
    name = "DIA3 (REST + job store)"

    def __init__(self, stack: Stack):
        self.stack = stack
        self.local = threading.local()
        self.finished_count_before = self.finished_count()

    def session(self) -> requests.Session:
        if not hasattr(self.local, "s"):
            self.local.s = requests.Session()
            self.local.s.headers["X-API-Key"] = self.stack.key
        return self.local.s

    def connection(self) -> http.client.HTTPConnection:
        """A keep-alive connection per thread (lighter on the shared CPU than requests)."""
        if not hasattr(self.local, "c"):
            self.local.c = http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=30)
        return self.local.c

    def submit(self, i: int) -> str:
        payload = json.dumps({"workflow": "smoke", "params": {"start": i}})
        headers = {"X-API-Key": self.stack.key, "Content-Type": "application/json"}
        try:
            conn = self.connection()
            conn.request("POST", "/api/v1/jobs", body=payload, headers=headers)
            response = conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            del self.local.c  # the server closed an idle keep-alive connection
            conn = self.connection()
            conn.request("POST", "/api/v1/jobs", body=payload, headers=headers)
            response = conn.getresponse()
        body = json.loads(response.read())
        if response.status != 202:
            raise RuntimeError(f"submit failed: {response.status} {body}")
        return body["id"]

    def finished_count(self) -> int:
        return int(self.stack.client.zcard(redis_keys.index(None, "succeeded")))

    def read_done(self, ids: list[str]) -> dict[str, float]:
        pipe = self.stack.client.pipeline(transaction=False)
        for job_id in ids:
            pipe.hmget(redis_keys.job(job_id), "state", "finished_at")
        out = {}
        for job_id, (state, finished) in zip(ids, pipe.execute()):
            if state == "succeeded":
                out[job_id] = float(finished)
            elif state in ("failed", "cancelled"):
                raise RuntimeError(f"job {job_id} {state}")
        return out


class RawRunner:
    name = "raw Celery chain"

    def __init__(self, stack: Stack):
        sys.path.insert(0, str(ROOT))
        os.environ["DIA3_REDIS_URL"] = stack.redis_url
        from celery import chain

        from benchmarks import raw_celery_app
        self.app, self.chain, self.tasks = raw_celery_app.app, chain, raw_celery_app
        self.stack = stack
        self.run = uuid.uuid4().hex
        self.finished_count_before = 0

    def finished_count(self) -> int:
        return int(self.stack.client.hlen(f"bench:{self.run}"))

    def submit(self, i: int) -> str:
        job = uuid.uuid4().hex
        self.chain(self.tasks.add_one.s(i), self.tasks.add_one.s(),
                   self.tasks.finish.s(self.run, job)).apply_async()
        return job

    def read_done(self, ids: list[str]) -> dict[str, float]:
        values = self.stack.client.hmget(f"bench:{self.run}", ids)
        return {job: float(v) for job, v in zip(ids, values) if v is not None}


def burst(runner, n: int, threads: int = 4) -> dict:
    """Submit n jobs from several threads as fast as possible; wait for all."""
    starts: dict[str, float] = {}
    lock = threading.Lock()

    def work(indices):
        for i in indices:
            t = time.time()
            job = runner.submit(i)
            with lock:
                starts[job] = t
    began = time.time()
    pool = [threading.Thread(target=work, args=(range(k, n, threads),)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    done = _wait_all(set(starts), runner)
    wall = max(done.values()) - began
    return {"jobs": n, "wall_s": wall, "jobs_per_s": n / wall}


def latency(runner, n: int) -> list[float]:
    """One job at a time: submit-to-done latency without queueing."""
    out = []
    for i in range(n):
        t = time.time()
        job = runner.submit(i)
        done = _wait_all({job}, runner)
        out.append((done[job] - t) * 1000)
    return out


def sentiment_benchmark(stack: Stack, vader_dir: Path) -> dict:
    rows = [line.rstrip("\r\n").split("\t", 2) for line in
            (vader_dir / "tweets_GroundTruth.txt").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    human = [float(r[1]) for r in rows]
    texts = [r[2] for r in rows]
    runner = Dia3Runner(stack)
    t0 = time.time()
    r = runner.session().post(stack.api_url + "/api/v1/jobs", timeout=60,
                              json={"workflow": "sentiment", "params": {"texts": texts}})
    r.raise_for_status()
    job_id = r.json()["id"]
    finished = _wait_all({job_id}, runner)[job_id]
    wall = finished - t0
    result = runner.session().get(f"{stack.api_url}/api/v1/jobs/{job_id}/result",
                                  timeout=60).json()["result"]
    scores = [item["compound"] for item in result["items"]]
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    vader = SentimentIntensityAnalyzer()
    t1 = time.perf_counter()
    for text in texts:
        vader.polarity_scores(text)
    single = len(texts) / (time.perf_counter() - t1)
    return {"texts": len(texts), "wall_s": wall, "texts_per_s": len(texts) / wall,
            "single_process_vader_texts_per_s": single,
            "pearson_r": statistics.correlation(scores, human), "published_r": 0.881}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=400, help="jobs per burst")
    parser.add_argument("--latency-jobs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--vader-dir", type=Path, default=Path(os.environ.get(
        "DIA3_VADER_DIR", ROOT.parent / "shared" / "data" / "vader")))
    args = parser.parse_args()

    stack = Stack(args.redis_url)
    try:
        stack.start_dia3()
        stack.start_raw()
        runners = [RawRunner(stack), Dia3Runner(stack)]
        for runner in runners:  # warm-up: imports, connections, first forks
            burst(runner, 20)
        bursts = {r.name: [] for r in runners}
        lats = {r.name: [] for r in runners}
        for _ in range(args.rounds):  # alternate so load changes hit both alike
            for runner in runners:
                bursts[runner.name].append(burst(runner, args.jobs))
                lats[runner.name] += latency(runner, args.latency_jobs // args.rounds)
        summary = {}
        for runner in runners:
            rates = [b["jobs_per_s"] for b in bursts[runner.name]]
            summary[runner.name] = {
                "jobs_per_s": statistics.median(rates), "jobs_per_s_rounds": rates,
                "latency_p50_ms": percentile(lats[runner.name], 50),
                "latency_p95_ms": percentile(lats[runner.name], 95)}
        raw, dia3 = summary[runners[0].name], summary[runners[1].name]
        ratios = {"throughput_ratio": dia3["jobs_per_s"] / raw["jobs_per_s"],
                  "p50_overhead_ms": dia3["latency_p50_ms"] - raw["latency_p50_ms"],
                  "p95_overhead_ms": dia3["latency_p95_ms"] - raw["latency_p95_ms"]}
        print_table(f"3-step workflow, {args.jobs} jobs x {args.rounds} rounds, 2 prefork "
                    "processes, same Redis", ["system", "jobs/s (median)", "p50 ms", "p95 ms"],
                    [[name, s["jobs_per_s"], s["latency_p50_ms"], s["latency_p95_ms"]]
                     for name, s in summary.items()])
        print_table("DIA3 vs raw Celery (targets: ratio >= 0.7, p50 overhead < 15 ms)",
                    ["measure", "value"], [[k, v] for k, v in ratios.items()])
        senti = None
        if (args.vader_dir / "tweets_GroundTruth.txt").exists():
            senti = sentiment_benchmark(stack, args.vader_dir)
            print_table("sentiment workflow on the 4,200 VADER tweets",
                        ["measure", "value"], [[k, v] for k, v in senti.items()])
        params = vars(args) | {"vader_dir": os.path.relpath(args.vader_dir)}
        save("orchestration", {"params": params,
                               "redis": "embedded" if stack.embedded else "external",
                               "systems": summary, "comparison": ratios, "sentiment": senti})
    finally:
        stack.stop()


if __name__ == "__main__":
    main()

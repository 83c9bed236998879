"""Redis failover under load: a primary, two replicas and three Sentinels on loopback, the
API and a ``dia3 worker`` following the Sentinels, jobs submitted without pause while the
primary is SIGKILLed. Every accepted job must complete with each item once; submissions the
failover refused must have been answered 503 with ``Retry-After``.

    python -m benchmarks.redis_failover [--jobs 120] [--rounds 2]

measures the failover time (primary killed → first submission accepted again), the refusal
window (first to last refused submission) and what ``DIA3_REDIS_MIN_REPLICAS=1`` costs a
submission (p50 with and without it, one submission at a time on a quiet cluster, alternated
rounds of the same run), prints them and writes
``benchmarks/results/redis_failover.json``; ``tests/integration/test_redis_failover.py`` runs
one failover of the same harness.
"""

from __future__ import annotations

import argparse
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

import redis
import requests

from benchmarks.chaos import FAST_RECOVERY, count_units, redis_server_binary
from benchmarks.report import percentile, print_table, save
from benchmarks.stack import Stack, free_port
from workers.runtime.held import UNACKED

MASTER = "dia3"
#: Sentinel timings of the test: a primary silent for 1 s is down, a failover takes < 3 s
DOWN_AFTER_MS, FAILOVER_TIMEOUT_MS = 1000, 3000


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)  # polling the servers' state


class SentinelGroup:
    """One primary, two replicas and three Sentinels monitoring them as ``dia3``."""

    def __init__(self, workdir: Path, replicas: int = 2, sentinels: int = 3):
        self.dir = workdir
        self.redis_ports = [free_port() for _ in range(1 + replicas)]
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self.procs: dict[int, subprocess.Popen] = {}

    @property
    def sentinels(self) -> str:
        """The ``DIA3_REDIS_SENTINELS`` value of this group."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def _spawn(self, port: int, args: list[str]) -> None:
        log = open(self.dir / f"{port}.log", "w")
        self.procs[port] = subprocess.Popen([redis_server_binary(), *args], stdout=log,
                                            stderr=subprocess.STDOUT)

    def start(self) -> None:
        primary = self.redis_ports[0]
        for port in self.redis_ports:
            folder = self.dir / f"redis-{port}"
            folder.mkdir()
            args = ["--port", str(port), "--bind", "127.0.0.1", "--protected-mode", "no",
                    "--dir", str(folder), "--appendonly", "yes", "--save", "",
                    "--daemonize", "no", "--repl-diskless-sync", "yes",
                    "--repl-diskless-sync-delay", "0"]
            if port != primary:
                args += ["--replicaof", "127.0.0.1", str(primary)]
            self._spawn(port, args)
        _wait(lambda: self.client(primary).info("replication")["connected_slaves"]
              == len(self.redis_ports) - 1, 30, "the replicas to attach")
        for port in self.sentinel_ports:
            conf = self.dir / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\nprotected-mode no\ndir {self.dir}\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {primary} 2\n"
                f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {MASTER} {FAILOVER_TIMEOUT_MS}\n"
                f"sentinel parallel-syncs {MASTER} 2\n")
            self._spawn(port, [str(conf), "--sentinel"])
        for port in self.sentinel_ports:  # each knows the replicas and the other Sentinels
            _wait(lambda port=port: len(self.client(port).sentinel_slaves(MASTER))
                  == len(self.redis_ports) - 1 and len(self.client(port).sentinel_sentinels(
                      MASTER)) == len(self.sentinel_ports) - 1, 30, "the Sentinels to agree")

    @staticmethod
    def client(port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=1,
                           decode_responses=True)

    def primary(self) -> int:
        """The port the Sentinels name as the primary now."""
        _, port = self.client(self.sentinel_ports[0]).sentinel_get_master_addr_by_name(MASTER)
        return int(port)

    def kill_primary(self) -> int:
        port = self.primary()
        self.procs[port].send_signal(signal.SIGKILL)
        self.procs[port].wait()
        return port

    def wait_promoted(self, old: int, timeout: float = 30) -> int:
        """The new primary, once every Sentinel names it and it takes writes."""
        def promoted() -> int | None:
            named = {int(self.client(p).sentinel_get_master_addr_by_name(MASTER)[1])
                     for p in self.sentinel_ports}
            if len(named) != 1 or old in named:
                return None
            port = named.pop()
            return port if self.client(port).info("replication")["role"] == "master" else None
        return _wait(promoted, timeout, "a replica to be promoted")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)  # logs were printed on failure


@dataclass
class Attempt:
    at: float  # monotonic time the request was sent
    seconds: float
    status: int | None  # None: no answer (connection error or timeout)
    retry_after: str | None = None


@dataclass
class Accepted:
    job_id: str
    units: int
    attempts: list[Attempt] = field(default_factory=list)


class Submitter(threading.Thread):
    """Submits sentiment jobs back to back over REST, each with its own idempotency key,
    retrying a refused one (503, or no answer) with the same key until it is accepted."""

    def __init__(self, api_url: str, key: str, texts: int, retry_interval: float = 0.2):
        super().__init__(name="failover-submitter", daemon=True)
        self.url, self.texts, self.retry_interval = api_url, texts, retry_interval
        self.session = requests.Session()
        self.session.headers["X-API-Key"] = key
        self.accepted: list[Accepted] = []
        self.refusals: list[Attempt] = []
        self.errors: list[str] = []
        self.stopping = threading.Event()

    def submit_one(self, n: int) -> Accepted | None:
        key = uuid.uuid4().hex
        body = {"workflow": "sentiment", "idempotency_key": key,
                "params": {"texts": [f"{n}.{i}: I love it, but it is slow." for i in
                                     range(self.texts)]}}
        attempts: list[Attempt] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                response = self.session.post(f"{self.url}/api/v1/jobs", json=body, timeout=10)
            except requests.RequestException:
                attempts.append(Attempt(began, time.monotonic() - began, None))
            else:
                attempt = Attempt(began, time.monotonic() - began, response.status_code,
                                  response.headers.get("Retry-After"))
                attempts.append(attempt)
                if response.status_code in (200, 201, 202):
                    self.refusals += attempts[:-1]
                    return Accepted(response.json()["id"], self.texts, attempts)
                if response.status_code != 503:
                    self.errors.append(f"{response.status_code}: {response.text[:300]}")
                    return None
            time.sleep(self.retry_interval)  # the client's retry interval while refused
        self.refusals += attempts
        self.errors.append(f"job {n} refused for 60 s")
        return None

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            accepted = self.submit_one(n)
            if accepted is not None:
                self.accepted.append(accepted)
            n += 1


class FailoverCluster(Stack):
    """The benchmark stack on a Sentinel group: ``dia3 api`` and one ``dia3 worker``."""

    def __init__(self, min_replicas: int, concurrency: int = 2):
        self.group = SentinelGroup(Path(tempfile.mkdtemp(prefix="dia3-sentinel-")))
        self.group.start()
        super().__init__(redis_url=f"redis://127.0.0.1:{self.group.redis_ports[0]}/0",
                         concurrency=concurrency)
        self.env.pop("DIA3_REDIS_URL")
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.env.update({**FAST_RECOVERY, "DIA3_REDIS_SENTINELS": self.group.sentinels,
                         "DIA3_REDIS_MASTER_NAME": MASTER,
                         "DIA3_REDIS_MIN_REPLICAS": str(min_replicas),
                         "DIA3_REDIS_REPLICA_TIMEOUT_MS": "500",
                         # a step message lost with the primary is found within seconds
                         "DIA3_JOB_HEARTBEAT_TIMEOUT": "10",
                         "DIA3_SENTIMENT_BATCH_SIZE": "10", "DIA3_API_WORKERS": "1",
                         "DIA3_QUEUE_MAX_DEPTH": "0", "DIA3_LOG_LEVEL": "INFO"})

    def start(self) -> None:
        self.spawn(sys.executable, "-m", "app.cli", "api", "--without-chroma")
        self.start_worker("--without-chroma", "-c", str(self.concurrency), "-n",
                          f"failover-{uuid.uuid4().hex[:6]}@%h")
        self._wait_ready("/readyz")

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in sorted([*self.tmp.glob("*.log"), *self.group.dir.glob("*.log")]))

    def stop(self) -> None:
        super().stop()
        self.group.stop()


@dataclass
class FailoverStats:
    accepted: int = 0
    items: int = 0
    succeeded: int = 0
    lost: dict[str, Any] = field(default_factory=dict)
    duplicated: int = 0
    missing: int = 0
    refusals: int = 0
    refusals_without_retry_after: int = 0
    unanswered: int = 0
    errors: list[str] = field(default_factory=list)
    failover_seconds: float = 0.0  # primary killed -> first submission accepted again
    promotion_seconds: float = 0.0  # primary killed -> the Sentinels name a new one
    refusal_window_seconds: float = 0.0  # first refused submission -> last refused
    longest_submit_seconds: float = 0.0  # the slowest answer (accepted or refused) after the kill
    submit_p50_ms: float = 0.0  # before the kill
    submit_p95_ms: float = 0.0
    processes_exited: list[str] = field(default_factory=list)  # API or worker gone by the end

    def rows(self) -> list[tuple[str, Any]]:
        return [("jobs accepted", self.accepted), ("items", self.items),
                ("jobs succeeded", self.succeeded), ("jobs lost or failed", len(self.lost)),
                ("items duplicated", self.duplicated), ("items missing", self.missing),
                ("refused submissions (503 or no answer)", self.refusals),
                ("  of them without an answer", self.unanswered),
                ("primary killed -> new primary named (s)", round(self.promotion_seconds, 2)),
                ("primary killed -> first accepted submit (s)", round(self.failover_seconds, 2)),
                ("refusal window (s)", round(self.refusal_window_seconds, 2)),
                ("slowest answer after the kill (s)", round(self.longest_submit_seconds, 2)),
                ("submit p50 before the kill (ms)", round(self.submit_p50_ms, 1))]


def run_failover(min_replicas: int = 1, texts: int = 30, warmup_jobs: int = 15,
                 after_jobs: int = 15, drain_timeout: float = 60) -> FailoverStats:
    """Submit under load, SIGKILL the primary, keep submitting, then check every job."""
    cluster = FailoverCluster(min_replicas)
    stats = FailoverStats()
    submitter = Submitter(cluster.api_url, cluster.key, texts)
    try:
        cluster.start()
        submitter.start()
        _wait(lambda: len(submitter.accepted) >= warmup_jobs, 60, "the first submissions")
        before = [a.attempts[-1].seconds * 1000 for a in submitter.accepted]
        stats.submit_p50_ms, stats.submit_p95_ms = percentile(before, 50), percentile(before, 95)
        # killed while the worker holds step messages it has not acknowledged: what the
        # consumer must give back when its connection is lost
        primary = cluster.group.client(cluster.group.primary())
        _wait(lambda: primary.hlen(UNACKED) >= 2, 30, "steps in flight")
        old = cluster.group.kill_primary()
        killed = time.monotonic()
        cluster.group.wait_promoted(old)
        stats.promotion_seconds = time.monotonic() - killed
        _wait(lambda: sum(a.attempts[-1].at > killed for a in submitter.accepted)
              >= after_jobs, 60, "submissions after the failover")
        submitter.stopping.set()
        submitter.join(timeout=70)
        first_after = min(a.attempts[-1].at + a.attempts[-1].seconds
                          for a in submitter.accepted if a.attempts[-1].at > killed)
        stats.failover_seconds = first_after - killed
        refused = [r for r in submitter.refusals if r.at + r.seconds > killed]
        stats.refusals = len(refused)
        stats.unanswered = sum(r.status is None for r in refused)
        stats.refusals_without_retry_after = sum(
            r.status == 503 and not r.retry_after for r in refused)
        if refused:
            stats.refusal_window_seconds = (max(r.at + r.seconds for r in refused)
                                            - min(r.at for r in refused))
        stats.longest_submit_seconds = max(
            [r.seconds for r in refused] + [a.attempts[-1].seconds for a in submitter.accepted
                                            if a.attempts[-1].at + a.attempts[-1].seconds > killed])
        stats.errors = submitter.errors
        _check_jobs(cluster, submitter.accepted, stats, drain_timeout)
        stats.processes_exited = [" ".join(p.args[2:5]) for p in cluster.procs
                                  if p.poll() is not None]
        return stats
    except Exception:
        print(cluster.logs(), file=sys.stderr)
        raise
    finally:
        submitter.stopping.set()
        cluster.stop()


def submit_latency(min_replicas: int, jobs: int) -> list[float]:
    """Seconds per submission, one at a time, on a quiet cluster (the API alone: nothing
    else competes for the CPU) with ``DIA3_REDIS_MIN_REPLICAS=min_replicas``."""
    cluster = FailoverCluster(min_replicas)
    try:
        cluster.spawn(sys.executable, "-m", "app.cli", "api", "--without-chroma")
        cluster._wait_ready("/healthz")
        session = requests.Session()
        session.headers["X-API-Key"] = cluster.key
        seconds = []
        for n in range(jobs + 10):
            body = {"workflow": "smoke", "params": {"start": n},
                    "idempotency_key": uuid.uuid4().hex}
            began = time.perf_counter()
            response = session.post(f"{cluster.api_url}/api/v1/jobs", json=body, timeout=10)
            elapsed = time.perf_counter() - began
            if response.status_code != 202:
                raise RuntimeError(f"submit answered {response.status_code}: {response.text}")
            if n >= 10:  # the first ones warm the API up
                seconds.append(elapsed)
        return seconds
    finally:
        cluster.stop()


def _check_jobs(cluster: FailoverCluster, accepted: list[Accepted], stats: FailoverStats,
                drain_timeout: float) -> None:
    """Every accepted job finishes, its result holding each item exactly once."""
    session = requests.Session()
    session.headers["X-API-Key"] = cluster.key
    stats.accepted, stats.items = len(accepted), sum(a.units for a in accepted)

    def job(job_id: str) -> dict:
        response = session.get(f"{cluster.api_url}/api/v1/jobs/{job_id}", timeout=10)
        return response.json() if response.status_code == 200 else {"state": "unknown"}
    deadline = time.monotonic() + drain_timeout
    records: dict[str, dict] = {}
    for item in accepted:
        while True:
            records[item.job_id] = job(item.job_id)
            if records[item.job_id]["state"] in ("succeeded", "failed", "cancelled") \
                    or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # polling the job until it finishes
    for item in accepted:
        record = records[item.job_id]
        if record["state"] != "succeeded":
            stats.lost[item.job_id] = record.get("error") or record["state"]
            continue
        stats.succeeded += 1
        result = session.get(f"{cluster.api_url}/api/v1/jobs/{item.job_id}/result",
                             timeout=10).json()["result"]
        seen: Counter = count_units("sentiment", result)
        stats.duplicated += sum(n - 1 for n in seen.values() if n > 1)
        stats.missing += max(0, item.units - len(seen))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=40, help="jobs before and after the kill")
    parser.add_argument("--rounds", type=int, default=2, help="failovers per setting")
    parser.add_argument("--latency-jobs", type=int, default=300,
                        help="submissions per setting and round for the WAIT cost")
    args = parser.parse_args(argv)
    latency: dict[str, list[float]] = {"0": [], "1": []}
    for _ in range(3):  # alternated rounds, the same machine for both settings
        for replicas in ("0", "1"):
            latency[replicas] += submit_latency(int(replicas), args.latency_jobs)
    cost = [(replicas, len(values), percentile(values, 50) * 1000,
             percentile(values, 95) * 1000) for replicas, values in latency.items()]
    print_table("Submit latency, one at a time (3 alternated rounds)",
                ["min replicas", "submissions", "p50 (ms)", "p95 (ms)"], cost)
    runs: dict[str, list[FailoverStats]] = {"0": [], "1": []}
    for _ in range(args.rounds):  # alternated, so both settings see the same machine
        for replicas in ("0", "1"):
            stats = run_failover(int(replicas), warmup_jobs=args.jobs, after_jobs=args.jobs)
            runs[replicas].append(stats)
            print_table(f"Failover, DIA3_REDIS_MIN_REPLICAS={replicas}", ["measure", "value"],
                        stats.rows())
    summary = []
    for replicas, stats in runs.items():
        summary.append((replicas, percentile([s.submit_p50_ms for s in stats], 50),
                        percentile([s.failover_seconds for s in stats], 50),
                        percentile([s.refusal_window_seconds for s in stats], 50),
                        sum(s.accepted for s in stats), sum(len(s.lost) for s in stats),
                        sum(s.duplicated + s.missing for s in stats)))
    print_table("Redis failover (median of rounds)",
                ["min replicas", "submit p50 (ms)", "kill -> accepted (s)",
                 "refusal window (s)", "jobs accepted", "jobs lost", "items wrong"], summary)
    save("redis_failover", {"rounds": args.rounds, "jobs": args.jobs,
                            "submit_latency": [dict(zip(["min_replicas", "submissions",
                                                         "p50_ms", "p95_ms"], row))
                                               for row in cost],
                            "runs": {k: [vars(s) for s in v] for k, v in runs.items()},
                            "summary": [dict(zip(["min_replicas", "submit_p50_ms",
                                                  "failover_seconds", "refusal_window_seconds",
                                                  "accepted", "lost", "items_wrong"], row))
                                        for row in summary]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

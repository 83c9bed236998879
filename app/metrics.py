"""Prometheus metrics of every DIA3 component, defined once.

Processes started by the ``dia3`` command share a multi-process directory
(``PROMETHEUS_MULTIPROC_DIR``), so counts from several prefork worker processes or API worker
processes add up when scraped. Queue depths and live workers are read from Redis at scrape
time by a custom collector, so they are exact and cost nothing between scrapes.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

HTTP_REQUESTS = Counter("dia3_http_requests_total", "HTTP requests by route and status",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("dia3_http_request_duration_seconds", "HTTP request latency",
                         ["method", "route"], buckets=LATENCY_BUCKETS)
JOBS_SUBMITTED = Counter("dia3_jobs_submitted_total", "Jobs accepted", ["workflow"])
JOBS_FINISHED = Counter("dia3_jobs_finished_total", "Jobs that ended, by final state",
                        ["workflow", "state"])
JOB_DURATION = Histogram("dia3_job_duration_seconds", "Submit-to-end time of finished jobs",
                         ["workflow", "state"], buckets=DURATION_BUCKETS)
TASK_RUNTIME = Histogram("dia3_task_runtime_seconds", "Runtime of a step by task name",
                         ["task"], buckets=DURATION_BUCKETS)
TASKS = Counter("dia3_tasks_total", "Steps run by task name and outcome", ["task", "outcome"])
TASK_RETRIES = Counter("dia3_task_retries_total", "Step retries by task name", ["task"])
REAPED = Counter("dia3_jobs_reaped_total",
                 "Jobs failed by the reaper (steps lost more often than DIA3_MAX_RESUMES)")
JOBS_RETRIED = Counter("dia3_jobs_retried_total", "Failed or cancelled jobs run again on request",
                       ["workflow"])
JOBS_RESUMED = Counter("dia3_jobs_resumed_total",
                       "Active jobs re-dispatched by the reaper after their steps were lost")
MESSAGES_RESTORED = Counter("dia3_messages_restored_total",
                            "Step messages held by a lost worker put back on their queue")
AUDIT_WRITE_FAILURES = Counter("dia3_audit_write_failures_total",
                               "Audit entries that could not be written")
JOBS_PURGED = Counter("dia3_jobs_purged_total", "Finished jobs deleted by retention or purge")
BACKPRESSURE_REJECTIONS = Counter(
    "dia3_backpressure_rejections_total",
    "Jobs refused because their queue was over DIA3_QUEUE_MAX_DEPTH", ["queue"])

# ---- schedules (the beat: docs/schedules.md) -------------------------------------------------
SCHEDULE_RUNS = Counter("dia3_schedule_runs_total",
                        "Ticks of schedules that made their job, by workflow", ["workflow"])
SCHEDULE_SKIPPED = Counter(
    "dia3_schedule_runs_skipped_total", "Ticks that made no job, by reason: overlap (the "
    "schedule's previous run was still active), missed (the beat was down: catchup none, or "
    "all but one with catchup one), error (the job was refused)", ["reason"])
SCHEDULE_LAG = Histogram("dia3_schedule_lag_seconds",
                         "How long after its due time a tick's job was submitted",
                         buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600))

# ---- webhooks (docs/webhooks.md) -------------------------------------------------------------
WEBHOOK_ATTEMPTS = Counter(
    "dia3_webhook_attempts_total", "Webhook delivery attempts by outcome: succeeded (a 2xx "
    "answer), retry (no 2xx answer; tried again later), failed (no 2xx answer at the last "
    "attempt: given up)", ["outcome"])
WEBHOOK_ATTEMPT_DURATION = Histogram(
    "dia3_webhook_attempt_duration_seconds", "Time of one webhook delivery attempt, from the "
    "address check to the receiver's answer (or the timeout)", buckets=LATENCY_BUCKETS)
WEBHOOK_DELIVERIES = Counter("dia3_webhook_deliveries_total",
                             "Deliveries made of job events, one per event and webhook")

# ---- security events (docs/operations.md, "Security events") ------------------------------
AUTH_FAILURES = Counter(
    "dia3_auth_failures_total", "Refused API keys by reason (missing, unknown, revoked, "
    "rotated, expired) and surface (api, mcp)", ["reason", "surface"])
BRUTEFORCE_SOURCES = Counter(
    "dia3_auth_bruteforce_sources_total", "Client addresses that crossed "
    "DIA3_AUTH_FAILURE_THRESHOLD failed authentications within the window")
DENIED_ACTIONS = Counter("dia3_denied_actions_total", "Actions refused (403) by role",
                         ["role", "action"])
ADMIN_ACTIONS = Counter("dia3_admin_actions_total",
                        "Administration actions (keys, tenants, backups) by admins", ["action"])
RATE_LIMIT_REJECTIONS = Counter("dia3_rate_limit_rejections_total",
                                "Requests refused by the per-key rate limit, by role", ["role"])
VALIDATION_FAILURES = Counter("dia3_validation_failures_total",
                              "Requests refused as invalid (400, 422) by route", ["route"])


class RedisStateCollector:
    """Queue depths (and whether each is refusing new jobs) and live workers, read from Redis
    when scraped. ``max_depth`` returns the backpressure limit (0: off)."""

    def __init__(self, client_factory, queues, worker_registry, max_depth=lambda: 0):
        self.client_factory = client_factory
        self.queues = queues
        self.workers = worker_registry
        self.max_depth = max_depth

    def collect(self):
        depth = GaugeMetricFamily("dia3_queue_length", "Messages waiting per queue",
                                  labels=["queue"])
        refusing = GaugeMetricFamily(
            "dia3_queue_backpressure", "1 while new jobs for the queue are refused "
            "(deeper than DIA3_QUEUE_MAX_DEPTH)", labels=["queue"])
        up = GaugeMetricFamily("dia3_workers_up", "Workers with a fresh heartbeat")
        redis_up = GaugeMetricFamily("dia3_redis_up", "1 when Redis answered the scrape")
        try:
            client = self.client_factory()
            limit = self.max_depth()
            for queue, count in queue_depths(client, self.queues).items():
                depth.add_metric([queue], count)
                refusing.add_metric([queue], int(0 < limit < count))
            up.add_metric([], len(self.workers.alive(client)))
            redis_up.add_metric([], 1)
        except Exception:  # a scrape must not fail because Redis is down
            redis_up.add_metric([], 0)
        yield depth
        yield refusing
        yield up
        yield redis_up


def queue_keys(queue: str) -> list[str]:
    sep = "\x06\x16"
    return [queue] + [f"{queue}{sep}{p}" for p in (3, 6, 9)]


def queue_depths(client, queues) -> dict[str, int]:
    """Messages waiting in each queue, in one pipelined round trip (kombu's Redis transport
    keeps priority sub-queues as separate lists (see :func:`queue_keys`), counted with it)."""
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        for key in queue_keys(queue):
            pipe.llen(key)
    counts = pipe.execute()
    per_queue = len(queue_keys(""))
    return {queue: sum(counts[i * per_queue:(i + 1) * per_queue])
            for i, queue in enumerate(queues)}


def multiprocess_dir() -> Path | None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(path) if path else None


def serve(port: int, host: str, setting: str) -> None:
    """Serve the metrics of this process group (its multi-process directory) on
    ``host:port`` from a thread; ``port`` 0, or no such directory: nowhere. A port in use is
    logged (naming ``setting``, the env var that moves it) rather than fatal."""
    path = multiprocess_dir()
    if not port or path is None:
        return
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(path))
    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        logging.getLogger("dia3.metrics").error(
            "metrics are not served: port %s is unavailable (set %s to a free port, or 0 for "
            "none)", port, setting, extra={"reason": str(exc)})


def render(extra_collectors=()) -> bytes:
    """The exposition text of this process group plus any extra collectors."""
    registry = CollectorRegistry()
    mp = multiprocess_dir()
    if mp is not None:
        multiprocess.MultiProcessCollector(registry, path=str(mp))
    else:
        from prometheus_client import REGISTRY
        registry = REGISTRY
    for collector in extra_collectors:
        try:
            registry.register(collector)
        except ValueError:
            pass
    return generate_latest(registry)


def observe_job_end(workflow: str, state: str, created_at: float) -> None:
    JOBS_FINISHED.labels(workflow, state).inc()
    JOB_DURATION.labels(workflow, state).observe(max(0.0, time.time() - created_at))

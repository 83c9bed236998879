"""Health endpoints: ``/healthz`` (process up), ``/readyz`` (can do work), ``/metrics``."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app import backpressure, metrics
from app.broker import QUEUES
from app.extensions import worker_registry
from app.redis_client import get_redis
from app.settings import get_settings
from app.workflows.registry import all_workflows

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


def job_queues() -> list[str]:
    """Every queue a job can be sent to."""
    return sorted(set(QUEUES) | {w.queue for w in all_workflows()})


@bp.get("/readyz")
def readyz():
    checks: dict[str, dict] = {}
    missing: list[str] = []
    try:
        client = get_redis()
        client.ping()
        checks["redis"] = {"ok": True}
        workers = worker_registry().describe(client)
        checks["workers"] = {"ok": bool(workers), "count": len(workers),
                             "hostnames": [w["hostname"] for w in workers]}
        if not workers:
            missing.append("workers: no worker has sent a heartbeat recently")
        # Reported, but not a reason to be unready: the queues are shared by every replica,
        # so failing here would take them all out of the load balancer at once, reads too.
        checks["queues"] = backpressure.report(client, job_queues())
    except Exception as exc:
        checks["redis"] = {"ok": False, "error": exc.__class__.__name__}
        missing.append(f"redis: unreachable ({exc.__class__.__name__})")
    status = 200 if not missing else 503
    response = jsonify(status="ready" if status == 200 else "not ready", checks=checks,
                       missing=missing)
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


_collector = metrics.RedisStateCollector(get_redis, list(QUEUES), None,
                                        lambda: get_settings().queue_max_depth)


@bp.get("/metrics")
def prometheus_metrics():
    _collector.workers = worker_registry()
    _collector.queues = job_queues()
    return Response(metrics.render([_collector]), mimetype="text/plain; version=0.0.4")

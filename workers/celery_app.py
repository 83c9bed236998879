"""The Celery application: created once per process from DIA3 settings (app factory).

Importing this module does not import task code, so the API can enqueue canvases by task
name without loading analysis libraries; workers load ``workers.tasks`` via ``include``.
"""

from __future__ import annotations

from celery import Celery

from app.redis_client import redis_url
from app.settings import get_settings
from workers.config import celery_config, check_reliability, worker_config

TASK_MODULES = ["workers.tasks.sentiment", "workers.tasks.smoke",
                "workers.tasks.montecarlo", "workers.tasks.forecast",
                "workers.tasks.agents", "workers.tasks.ingest", "workers.tasks.youtube"]

_app: Celery | None = None


def create_celery() -> Celery:
    settings = get_settings()
    check_reliability(settings)
    app = Celery("dia3", include=TASK_MODULES)
    app.conf.update(celery_config(settings, redis_url()))
    return app


def get_celery() -> Celery:
    """The process's Celery app, created on first use (after the Redis URL is known)."""
    global _app
    if _app is None:
        _app = create_celery()
    return _app


def prepare_worker(app: Celery) -> Celery:
    """Worker-only configuration: Redis-outage retries and tracking of held messages."""
    from workers.held import ForgetOnConsumerStart
    app.conf.update(worker_config())
    app.steps["consumer"].add(ForgetOnConsumerStart)
    return app


def reset_celery() -> None:
    global _app
    _app = None

"""The worker side of the Celery app: the process's one app (:func:`app.extensions.celery`)
with every capability's task modules included and the worker-only configuration."""

from __future__ import annotations

from celery import Celery

from app import extensions
from app.workflows.catalog import task_modules


def prepare_worker(app: Celery | None = None) -> Celery:
    """Worker-only configuration: the task modules, Redis-outage retries, tracking of held
    messages and the worker lifecycle hooks."""
    from app.broker import worker_config
    from workers.runtime import signals  # noqa: F401  (connects the lifecycle hooks)
    from workers.runtime.held import ForgetOnConsumerStart
    app = app or extensions.celery()
    app.conf.update(worker_config())
    app.conf.include = task_modules()
    app.steps["consumer"].add(ForgetOnConsumerStart)
    return app

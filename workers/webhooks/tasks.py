"""The webhook delivery task: one attempt at one delivery (``app.webhooks.steps.DELIVER``)."""

from __future__ import annotations

from celery import shared_task

from app.settings import get_settings
from app.webhooks.steps import DELIVER
from workers.webhooks.delivery import attempt

# the attempt bounds itself (DIA3_WEBHOOK_TIMEOUT_SECONDS); the limits only catch a hang
_LIMIT = get_settings().webhook_timeout_seconds + 30


@shared_task(name=DELIVER.name, ignore_result=True, soft_time_limit=_LIMIT,
             time_limit=_LIMIT + 10)
def deliver(delivery_id: str, attempts: int) -> str:
    """Attempt the delivery if it still is at ``attempts`` attempts; returns the outcome."""
    return attempt(delivery_id, attempts)

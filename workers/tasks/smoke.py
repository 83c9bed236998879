"""Steps of the ``smoke`` workflow."""

from __future__ import annotations

from celery import shared_task

from workers.engine import JobStep


@shared_task(name="dia3.smoke.add_one", base=JobStep, bind=True, ignore_result=True,
             soft_time_limit=30, time_limit=60)
def add_one(self, value: int) -> int:
    return value + 1


@shared_task(name="dia3.smoke.finish", base=JobStep, bind=True, ignore_result=True, final=True,
             soft_time_limit=30, time_limit=60)
def finish(self, value: int) -> dict:
    return {"value": value}

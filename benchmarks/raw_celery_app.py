"""The baseline: the same 3-task chain in plain Celery, with DIA3's reliability settings.

The last task records its finish time in Redis so the benchmark never blocks on
``AsyncResult.get()``.
"""

from __future__ import annotations

import os
import time

import redis
from celery import Celery

from app.broker import celery_config
from app.redis_client import celery_url
from app.settings import load_settings

URL = os.environ["DIA3_REDIS_URL"]
app = Celery("raw")
app.conf.update(celery_config(load_settings(), URL))
app.conf.task_routes = {"raw.*": {"queue": "raw"}}
_redis = redis.Redis.from_url(URL) if not URL.startswith("unix://") else \
    redis.Redis(unix_socket_path=URL[len("unix://"):])
assert celery_url(URL)


@app.task(name="raw.add_one", ignore_result=True)
def add_one(value: int) -> int:
    return value + 1


@app.task(name="raw.finish", ignore_result=True)
def finish(value: int, run: str, job: str) -> None:
    _redis.hset(f"bench:{run}", job, repr(time.time()))

"""A worker process: Redis and Chroma (embedded or external), metrics, logging, then Celery's
worker with every capability's tasks.

``dia3 worker`` replaces itself with this (``exec``: same process id, same signals), and owns
no embedded server of its own before it does.
"""

from __future__ import annotations

import argparse
import os

from app.runtime import process
from app.runtime.private import prepare_process
from app.settings import get_settings


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workers")
    parser.add_argument("-Q", "--queues", default="default,ingest,agents,analytics")
    parser.add_argument("-c", "--concurrency", type=int, default=None)
    parser.add_argument("-n", "--name", default=None)
    parser.add_argument("-P", "--pool", choices=("prefork", "threads", "solo"),
                        default="prefork")
    parser.add_argument("--without-chroma", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    prepare_process(get_settings().data_path)
    process.setup_logging()
    process.ensure_redis()
    if not options.without_chroma:
        process.ensure_chroma()
    process.prepare_metrics("worker")
    from workers.runtime.celery_app import prepare_worker
    settings = get_settings()
    app = prepare_worker()
    app.worker_main([
        "worker", "-Q", options.queues,
        "-c", str(options.concurrency or settings.worker_concurrency),
        "-n", options.name or f"dia3-{os.getpid()}@%h", "-P", options.pool,
        "--without-mingle", "--without-gossip",
        "-E", "--loglevel", settings.log_level.upper(),
    ])

"""A worker process: Redis and Chroma (embedded or external), metrics, logging, then Celery's
worker with every capability's tasks.

``dia3 worker`` replaces itself with this (``exec``: same process id, same signals), and owns
no embedded server of its own before it does.
"""

from __future__ import annotations

import argparse
import logging
import os

from app.runtime import process
from app.runtime.private import prepare_process
from app.settings import get_settings
from app.workflows.steps import QUEUES


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m workers")
    parser.add_argument("-Q", "--queues", default=",".join(QUEUES))
    parser.add_argument("-c", "--concurrency", type=int, default=None)
    parser.add_argument("-n", "--name", default=None)
    parser.add_argument("-P", "--pool", choices=("prefork", "threads", "solo"),
                        default="prefork")
    parser.add_argument("--without-chroma", action="store_true")
    return parser.parse_args(argv)


KNOWLEDGE_QUEUES = {"ingest", "agents"}  # their steps embed documents and questions


def warn_without_embedder(queues: str) -> None:
    """Say at start, not at the first job, that knowledge steps will fail on this worker when
    the default embedder cannot be made here (e.g. the local model is not installed)."""
    if not KNOWLEDGE_QUEUES & set(queues.split(",")):
        return
    from app.workflows.knowledge.service import embedder_problem
    problem = embedder_problem()
    if problem:
        logging.getLogger("dia3.worker").warning(
            "the default embedder cannot be used, so ingest and knowledge steps will fail: %s",
            problem)


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    prepare_process(get_settings().data_path)
    process.setup_logging()
    process.ensure_redis()
    if not options.without_chroma:
        process.ensure_chroma()
    process.prepare_metrics("worker")
    warn_without_embedder(options.queues)
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

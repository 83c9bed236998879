"""``dia3``: the root command group. Each group of commands lives in its own module of
``app.cli``; this module only puts them together (it imports them, never the reverse)."""

from __future__ import annotations

import click

from app.cli import (
    chroma,
    config,
    doctor,
    jobs,
    keys,
    knowledge,
    llm_server,
    operations,
    schedules,
    stack,
    surfaces,
    tenants,
    webhooks,
)
from app.runtime.private import prepare_process
from app.settings import get_settings


@click.group()
def cli() -> None:
    """DIA3 — Distributed Intelligence Analysis."""
    # Every component runs as a `dia3` command: what it (or a child) writes is private.
    prepare_process(get_settings().data_path)


for _group in (stack, jobs, schedules, webhooks, keys, knowledge, surfaces, chroma, llm_server,
               operations, tenants, config, doctor):
    for _command in _group.COMMANDS:
        cli.add_command(_command)
for _command in operations.JOBS_COMMANDS:  # `dia3 jobs purge` works on Redis directly
    jobs.jobs.add_command(_command)


def main() -> None:
    """The ``dia3`` console script."""
    cli()

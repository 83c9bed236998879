"""The steps workers run, declared once: each step's registered task name and its queue.

A workflow's canvas names its steps through these declarations (``Plan.step``), the worker's
task decorator takes its name from them (``workers.runtime.job_step.job_task``), and the
Celery routes are derived from them (``app.broker``), so a name or a queue is typed in one
place only. Task names are part of the message format (``dia3.<area>.<action>``): renaming
one would strand messages already queued.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The queues workers consume; a step's queue must be one of them.
QUEUES = ("default", "ingest", "agents", "analytics", "webhooks")

_DECLARED: dict[str, Step] = {}


@dataclass(frozen=True)
class Step:
    """A step's registered Celery task name and the queue it is routed to."""

    name: str
    queue: str = "default"


def declare(name: str, queue: str = "default") -> Step:
    """Declare a step (once per name) and return it."""
    if queue not in QUEUES:
        raise ValueError(f"step {name!r}: unknown queue {queue!r}; use one of {QUEUES}")
    if not name.startswith("dia3."):
        raise ValueError(f"step {name!r}: task names start with 'dia3.'")
    if name in _DECLARED:
        raise ValueError(f"step {name!r} declared twice")
    step = _DECLARED[name] = Step(name, queue)
    return step


def declared_steps() -> list[Step]:
    """Every step of the built-in workflows, by name."""
    import importlib

    from app.workflows.catalog import SERVICES
    from app.workflows.registry import load_builtin
    load_builtin()
    for service in SERVICES:
        importlib.import_module(f"app.{service}.steps")
    return sorted(_DECLARED.values(), key=lambda s: s.name)


def task_routes() -> dict[str, dict[str, str]]:
    """Celery's ``task_routes``: each declared step to its queue."""
    return {step.name: {"queue": step.queue} for step in declared_steps()}


def steps_table() -> str:
    """The Markdown table of every step and its queue (docs/architecture.md embeds it; a test
    checks that it is current). ``python -m app.workflows.steps`` prints it."""
    rows = [f"| `{step.name}` | {step.queue} |" for step in declared_steps()]
    return "\n".join(["| step (task name) | queue |", "|---|---|", *rows])


if __name__ == "__main__":  # run as a script, this file is not the module the workflows use
    from app.workflows import steps as declared

    print(declared.steps_table())

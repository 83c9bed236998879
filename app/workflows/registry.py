"""The workflow registry: what a user can submit and how it becomes a Celery canvas.

A workflow is a name, a description, a marshmallow schema for its params, examples of them
and a function that builds a canvas (chain, group, chord) from validated params. Every step
of the canvas is made through :class:`Plan`, which gives it a stable task id
(``<job id>-<step>``), the job id and step name, the correlation id header and argument reprs
without content (``task_reprs``), and records the step on the job. (Failures need no
errback: the task base class records them, hard time limits included.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from celery import Signature
from marshmallow import Schema

from app.workflows.steps import Step
from app.workflows.task_reprs import repr_options


@dataclass
class Plan:
    """Builds the step signatures of one job and remembers them."""

    job_id: str
    request_id: str | None
    app: Any
    tenant: str = ""
    #: 1 for the first run; a retried or resumed job gets new task ids, since workers drop
    #: task ids revoked when the job failed or was cancelled
    attempt: int = 1
    tasks: dict[str, str] = field(default_factory=dict)
    #: steps whose work runs elsewhere (a pipeline's stages run as child jobs): they count
    #: in the job's progress but have no task of their own
    external_steps: int = 0

    def step(self, task: Step, step: str, *args: Any, fan_in: bool = False,
             **kwargs: Any) -> Signature:
        """One step running the declared ``task``. ``fan_in=True`` marks a chord header, whose
        result Celery must store so the chord can count it; every other step's Celery result
        is ignored."""
        if not isinstance(task, Step):
            raise TypeError(f"step {step!r}: name a declared Step, not {task!r}")
        if step in self.tasks:
            raise ValueError(f"duplicate step name {step!r}")
        task_id = f"{self.job_id}-{step}" + (f"-a{self.attempt}" if self.attempt > 1 else "")
        self.tasks[step] = task_id
        kwargs = {"job_id": self.job_id, "step": step, **kwargs}
        sig = self.app.signature(
            task.name, args=args, kwargs=kwargs, task_id=task_id, ignore_result=not fan_in,
            headers={"dia3_request_id": self.request_id or "", "dia3_job_id": self.job_id},
            # events, Flower and logs show ids and sizes, never the tenant's content
            **repr_options(args, kwargs))
        return sig

    @property
    def steps_total(self) -> int:
        return len(self.tasks) + self.external_steps


@dataclass(frozen=True)
class Example:
    """Complete params that work as they are. ``GET /workflows``, the OpenAPI spec (Swagger
    UI's request examples), the MCP server and docs/api.md show them, and a test submits
    each to real workers."""

    summary: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Workflow:
    name: str
    description: str
    schema: type[Schema]
    build: Callable[[Plan, dict[str, Any]], Signature]
    #: the steps its canvas is made of; the first one's queue is where its work starts
    steps: tuple[Step, ...]
    category: str = "analysis"
    #: Redis keys besides the job's own that deleting (or purging) one of its jobs removes,
    #: from the job's params: what its steps leave behind when the job does not succeed
    on_delete: Callable[[dict[str, Any]], Iterable[str]] | None = None
    examples: tuple[Example, ...] = field(default=(), compare=False)
    #: the JSON type of values in its result, by path (``value``, ``summary[*].text``), as
    #: far as it is known: a pipeline checks a stage input mapped from them at submission.
    #: Types are ``integer``, ``number``, ``string``, ``boolean``, ``object``, ``array`` and
    #: ``array<type>``
    result_types: dict[str, str] = field(default_factory=dict, compare=False)
    #: for a workflow whose jobs wait on child jobs rather than run steps of their own: what
    #: the reaper calls with such a job's id when it has shown no sign of life for a while
    #: (instead of re-dispatching it as lost)
    supervise: Callable[[str], None] | None = field(default=None, compare=False)

    @property
    def queue(self) -> str:
        """The queue of the workflow's first step (what submission backpressure watches)."""
        return self.steps[0].queue


_REGISTRY: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    if workflow.name in _REGISTRY:
        raise ValueError(f"workflow {workflow.name!r} registered twice")
    _REGISTRY[workflow.name] = workflow
    return workflow


def get_workflow(name: str) -> Workflow:
    load_builtin()
    return _REGISTRY[name]


def on_delete_hook(name: str) -> Callable[[dict[str, Any]], Iterable[str]] | None:
    """The clean-up hook of workflow ``name`` for the job store (None without one, or for
    a workflow this version no longer has)."""
    load_builtin()
    workflow = _REGISTRY.get(name)
    return workflow.on_delete if workflow else None


def all_workflows() -> list[Workflow]:
    load_builtin()
    return sorted(_REGISTRY.values(), key=lambda w: w.name)


def load_builtin() -> None:
    """Import the built-in capabilities (each registers its workflows once)."""
    import importlib

    from app.workflows.catalog import CAPABILITIES
    for capability in CAPABILITIES:
        importlib.import_module(f"app.workflows.{capability}")

"""``smoke``: three trivial chained steps, to check a deployment end to end and to measure the
engine's own overhead against raw Celery.

With ``DIA3_DIAGNOSTIC_FAULTS`` on, the second step can also be made to fail or to kill its
worker process, to rehearse failure reporting, poison-message handling and ``jobs retry``.
"""

from __future__ import annotations

from celery import chain
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.settings import get_settings
from app.workflows.registry import Plan, Workflow, register
from app.workflows.smoke import steps
from app.workflows.smoke.examples import EXAMPLES


class SmokeParams(Schema):
    start = fields.Integer(load_default=0, validate=validate.Range(-1_000_000, 1_000_000),
                           metadata={"description": "Number the three steps add one to"})
    fail_attempts = fields.Integer(
        load_default=0, validate=validate.Range(0, 10),
        metadata={"description": "Diagnostics (needs DIA3_DIAGNOSTIC_FAULTS): the second step "
                  "fails in this many attempts of the job"})
    crash = fields.Boolean(
        load_default=False,
        metadata={"description": "Diagnostics (needs DIA3_DIAGNOSTIC_FAULTS): the second step "
                  "kills its worker process on every delivery (a poison message)"})
    stall_seconds = fields.Float(
        load_default=0.0, validate=validate.Range(0, 120),
        metadata={"description": "Diagnostics (needs DIA3_DIAGNOSTIC_FAULTS): the second step "
                  "takes this long"})
    time_limit = fields.Integer(
        load_default=None, validate=validate.Range(1, 60),
        metadata={"description": "Diagnostics (needs DIA3_DIAGNOSTIC_FAULTS): soft time limit "
                  "of the second step in seconds (the hard one is 2 s later)"})
    ignore_soft_limit = fields.Boolean(
        load_default=False,
        metadata={"description": "Diagnostics (needs DIA3_DIAGNOSTIC_FAULTS): the second step "
                  "keeps going past its soft time limit, so the hard one kills it"})

    @validates_schema
    def _faults_enabled(self, data: dict, **kwargs) -> None:
        used = [name for name in FAULTS if data.get(name)]
        if used and not get_settings().diagnostic_faults:
            raise ValidationError("Fault injection is disabled on this server "
                                  "(DIA3_DIAGNOSTIC_FAULTS).", used[0])


#: fault params the second step takes as arguments; ``time_limit`` is set on its signature
STEP_FAULTS = ("fail_attempts", "crash", "stall_seconds", "ignore_soft_limit")
FAULTS = (*STEP_FAULTS, "time_limit")


def build(plan: Plan, params: dict):
    faults = {key: params[key] for key in STEP_FAULTS if params.get(key)}
    second = plan.step(steps.ADD_ONE, "second", **faults)
    if params.get("time_limit"):
        second = second.set(soft_time_limit=params["time_limit"],
                            time_limit=params["time_limit"] + 2)
    return chain(
        plan.step(steps.ADD_ONE, "first", params["start"]),
        second,
        plan.step(steps.FINISH, "finish"),
    )


register(Workflow(name="smoke", description="Three chained trivial steps (adds 1 twice); "
                  "checks the pipeline end to end.", schema=SmokeParams, build=build,
                  steps=(steps.ADD_ONE, steps.FINISH),
                  category="diagnostics", examples=EXAMPLES,
                  result_types={"value": "integer"}))

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

    @validates_schema
    def _faults_enabled(self, data: dict, **kwargs) -> None:
        if (data.get("fail_attempts") or data.get("crash")) and \
                not get_settings().diagnostic_faults:
            raise ValidationError("Fault injection is disabled on this server "
                                  "(DIA3_DIAGNOSTIC_FAULTS).", "fail_attempts"
                                  if data.get("fail_attempts") else "crash")


def build(plan: Plan, params: dict):
    faults = {key: params[key] for key in ("fail_attempts", "crash") if params.get(key)}
    return chain(
        plan.step("dia3.smoke.add_one", "first", params["start"]),
        plan.step("dia3.smoke.add_one", "second", **faults),
        plan.step("dia3.smoke.finish", "finish"),
    )


register(Workflow(name="smoke", description="Three chained trivial steps (adds 1 twice); "
                  "checks the pipeline end to end.", schema=SmokeParams, build=build,
                  category="diagnostics"))

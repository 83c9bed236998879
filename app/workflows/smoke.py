"""``smoke``: three trivial chained steps, to check a deployment end to end and to measure the
engine's own overhead against raw Celery."""

from __future__ import annotations

from celery import chain
from marshmallow import Schema, fields, validate

from app.workflows.registry import Plan, Workflow, register


class SmokeParams(Schema):
    start = fields.Integer(load_default=0, validate=validate.Range(-1_000_000, 1_000_000),
                           metadata={"description": "Number the three steps add one to"})


def build(plan: Plan, params: dict):
    return chain(
        plan.step("dia3.smoke.add_one", "first", params["start"]),
        plan.step("dia3.smoke.add_one", "second"),
        plan.step("dia3.smoke.finish", "finish"),
    )


register(Workflow(name="smoke", description="Three chained trivial steps (adds 1 twice); "
                  "checks the pipeline end to end.", schema=SmokeParams, build=build,
                  category="diagnostics"))

"""``pipeline``: stages that each run a workflow as a child job, forming a DAG; a stage's
inputs come from the results of stages before it (see docs/pipelines.md)."""

from __future__ import annotations

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from app.workflows.pipeline import dag, steps
from app.workflows.pipeline.examples import EXAMPLES
from app.workflows.registry import Plan, Workflow, get_workflow, register

MAX_STAGES = 20
MAX_INPUTS = 50
STAGE_NAME = r"^[A-Za-z0-9_\-]{1,64}$"


class InputSource(Schema):
    from_ = fields.String(data_key="from", required=True,
                          validate=validate.Length(min=1, max=64),
                          metadata={"description": "The stage whose result it comes from"})
    path = fields.String(required=True, validate=validate.Length(min=1, max=500), metadata={
        "description": "Where in that result: dotted keys, [N], and [*] for every element "
                       "of a list (summary[*].text)"})

    @post_load
    def _as_written(self, data: dict, **kwargs) -> dict:
        return {"from": data["from_"], "path": data["path"]}


class StageSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(
        STAGE_NAME, error="1 to 64 letters, digits, '-' or '_'."))
    workflow = fields.String(required=True, validate=validate.Length(min=1, max=100))
    params = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "The stage's params, without those its inputs fill in"})
    inputs = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=500)),
        values=fields.Nested(InputSource), load_default=dict, metadata={
            "description": f"Param path (dotted keys, [N]) -> {{from: stage, path: path into "
                           f"its result}}; at most {MAX_INPUTS}", "maxProperties": MAX_INPUTS})
    after = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                        load_default=list, validate=validate.Length(max=MAX_STAGES), metadata={
                            "description": "Stages that must succeed first (besides those "
                                           "the inputs come from)"})

    @validates("inputs")
    def _few_inputs(self, value: dict, **kwargs) -> None:
        if len(value) > MAX_INPUTS:
            raise ValidationError(f"At most {MAX_INPUTS} inputs.")


class PipelineParams(Schema):
    stages = fields.List(fields.Nested(StageSchema), required=True,
                         validate=validate.Length(min=1, max=MAX_STAGES))

    @validates_schema(skip_on_field_errors=True)
    def _graph(self, data: dict, **kwargs) -> None:
        errors = dag.check(data["stages"], get_workflow)
        if errors:
            raise ValidationError({"stages": errors})


def build(plan: Plan, params: dict):
    """The pipeline's canvas is its first advance; each stage counts as one step."""
    plan.external_steps = len(params["stages"])
    return steps.advance_signature(plan.app, plan.job_id, plan.request_id)


register(Workflow(name="pipeline",
                  description="Stages that each run a workflow as a child job, in the order "
                              "their dependencies allow (a DAG), with inputs taken from "
                              "earlier stages' results.",
                  schema=PipelineParams, build=build, steps=(steps.ADVANCE,),
                  category="automation", examples=EXAMPLES, supervise=steps.send_advance))

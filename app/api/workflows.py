"""``/api/v1/workflows``: what can be submitted, with the JSON schema of each one's params."""

from __future__ import annotations

from functools import cache

from apispec import APISpec
from flask.views import MethodView

from app.api.json_body import Blueprint
from app.api.responses import errors
from app.api.schemas import WorkflowSchema
from app.api.spec import Plugin
from app.workflows.registry import Workflow, all_workflows

blp = Blueprint("workflows", __name__, url_prefix="/api/v1/workflows",
                description="Workflows that can be submitted as jobs")


@cache
def params_json_schema(workflow: Workflow) -> dict:
    """The OpenAPI 3.0 schema object of the workflow's params, with the schemas it refers
    to under ``components`` (``$ref``s resolve against this document's root)."""
    plugin = Plugin()
    spec = APISpec("dia3", "1", "3.0.3", plugins=[plugin])
    schema = plugin.converter.schema2jsonschema(workflow.schema)
    nested = spec.to_dict().get("components", {}).get("schemas")
    if nested:
        schema["components"] = {"schemas": nested}
    return schema


def examples(workflow: Workflow) -> list[dict]:
    return [{"summary": e.summary, "params": e.params} for e in workflow.examples]


def describe(workflow: Workflow) -> dict:
    return {"name": workflow.name, "description": workflow.description,
            "category": workflow.category, "queue": workflow.queue,
            "params_schema": params_json_schema(workflow), "examples": examples(workflow)}


def submission_examples() -> dict[str, dict]:
    """Every workflow's examples as OpenAPI examples of a ``POST /jobs`` body."""
    return {f"{w.name}-{i + 1}": {"summary": f"{w.name}: {e.summary}",
                                  "value": {"workflow": w.name, "params": e.params}}
            for w in all_workflows() for i, e in enumerate(w.examples)}


@blp.route("")
class Workflows(MethodView):
    @blp.response(200, WorkflowSchema(many=True))
    @errors(blp)
    def get(self):
        """Every workflow with its params schema"""
        return [describe(w) for w in all_workflows()]

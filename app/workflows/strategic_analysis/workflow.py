"""``strategic_analysis``: retrieve evidence from a knowledge-base collection, let one analyst
agent per perspective work in parallel (a group), a critic challenge them (the chord
callback), and a synthesiser write the report with verified citations."""

from __future__ import annotations

from celery import chain, chord, group
from marshmallow import Schema, fields, validate

from app.llm import BACKENDS
from app.settings import get_settings
from app.workflows.knowledge.collections import existing_collection
from app.workflows.registry import Plan, Workflow, register
from app.workflows.strategic_analysis import steps
from app.workflows.strategic_analysis.examples import EXAMPLES
from app.workflows.strategic_analysis.perspectives import DEFAULT_PERSPECTIVES


class StrategicAnalysisParams(Schema):
    question = fields.String(required=True, validate=validate.Length(min=3, max=2000))
    collection = fields.String(required=True, validate=validate.Length(min=1, max=100),
                               metadata={"description": "Knowledge-base collection to use"})
    perspectives = fields.List(
        fields.String(validate=validate.Length(min=2, max=100)),
        load_default=lambda: list(DEFAULT_PERSPECTIVES), validate=validate.Length(min=1, max=8),
        metadata={"description": "One analyst agent per perspective"})
    backend = fields.String(load_default=None, allow_none=True,
                            validate=validate.OneOf(BACKENDS),
                            metadata={"description": "LLM backend (default DIA3_LLM_BACKEND)"})
    k = fields.Integer(load_default=8, validate=validate.Range(1, 50),
                       metadata={"description": "Evidence chunks retrieved"})


def build(plan: Plan, params: dict):
    if params.get("collection"):
        existing_collection(plan.tenant, params["collection"])  # a 422 now, not a failed job
    common = {"question": params["question"],
              "backend": params["backend"] or get_settings().llm_backend}
    perspectives = list(dict.fromkeys(params["perspectives"]))
    return chain(
        plan.step(steps.RETRIEVE, "retrieve", tenant=plan.tenant,
                  collection=params["collection"], perspectives=perspectives, k=params["k"]),
        chord(group([plan.step(steps.PERSPECTIVE, f"perspective-{i}", perspective=p,
                               fan_in=True, **common) for i, p in enumerate(perspectives)]),
              plan.step(steps.CRITIC, "critic", n_perspectives=len(perspectives),
                        **common)),
        plan.step(steps.SYNTHESISE, "synthesise", **common),
    )


register(Workflow(name="strategic_analysis",
                  description="Analyst agents per perspective over evidence retrieved from a "
                              "knowledge-base collection, a critic, and a synthesised report "
                              "(executive summary, SWOT, key risks, recommendations, "
                              "confidence) whose citations are verified against the evidence.",
                  schema=StrategicAnalysisParams, build=build,
                  steps=(steps.RETRIEVE, steps.PERSPECTIVE, steps.CRITIC, steps.SYNTHESISE),
                  examples=EXAMPLES))

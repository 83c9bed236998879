"""Task messages carry argument reprs without content: ids and sizes only. Celery copies
them into task events (Flower) and its log lines; without them it writes ``repr(args)``."""

from __future__ import annotations

import uuid

import pytest
from celery import Signature, group
from celery.canvas import _chain, _chord

from app.extensions import celery
from app.service import load_params
from app.workflows.registry import Plan, get_workflow
from app.workflows.task_reprs import args_repr, describe, kwargs_repr

PLANTED = "planted-4f1e9c-secret-text"
PARAMS = {
    "sentiment": {"texts": [f"{PLANTED} is great", "fine"], "ids": [PLANTED, "b"]},
    "forecast": {"series": [{"name": PLANTED, "values": [1.0, 2.0, 3.0, 4.0]}], "horizon": 2},
    "anomaly": {"series": [{"name": PLANTED, "values": [1.0, 2.0, 3.0, 4.0] * 3}]},
    "summarize": {"text": f"{PLANTED}. " * 50, "focus": PLANTED},
    "monte_carlo": {"model": "scenario", "n_simulations": 1000, "params": {
        "variables": {"planted_4f1e9c": {"dist": "normal", "mean": 1, "std": 1}},
        "expression": "planted_4f1e9c * 2"}},
    "strategic_analysis": {"question": PLANTED, "collection": "reprs-kb",
                           "perspectives": [PLANTED]},
    "smoke": {"start": 918_273},
}


def signatures(canvas) -> list[Signature]:
    """Every step of a chain, group or chord."""
    out, stack = [], [canvas]
    while stack:
        node = stack.pop()
        if isinstance(node, _chord):
            stack += [node.kwargs["header"], node.body]
        elif isinstance(node, group | _chain):
            stack.extend(node.tasks)
        elif isinstance(node, list | tuple):
            stack.extend(node)
        else:
            out.append(node)
    return out


@pytest.fixture(scope="module")
def tenant():
    """A tenant with the collection the strategic analysis reads."""
    from app.workflows.knowledge import service as knowledge
    name = f"reprs-{uuid.uuid4().hex[:8]}"
    knowledge.create_collection(name, "reprs-kb", "hashing")
    yield name
    knowledge.delete_collection(name, "reprs-kb")


@pytest.mark.parametrize("workflow", sorted(PARAMS))
def test_every_step_of_every_canvas_shows_ids_and_sizes_only(workflow, tenant):
    declared = get_workflow(workflow)
    plan = Plan("job-123", "req-1", celery(), tenant=tenant)
    steps = signatures(declared.build(plan, load_params(declared, PARAMS[workflow])))
    assert len(steps) == plan.steps_total
    for step in steps:
        argsrepr, kwargsrepr = step.options["argsrepr"], step.options["kwargsrepr"]
        for shown in (argsrepr, kwargsrepr):
            assert PLANTED not in shown and "planted_4f1e9c" not in shown
            assert "918273" not in shown
        assert "'job_id': 'job-123'" in kwargsrepr and f"'step': '{step.options['task_id'][8:]}'" \
            in kwargsrepr


def test_descriptions_are_types_and_sizes():
    assert describe("secret") == "str[6]" and describe([1, 2, 3]) == "list[3]"
    assert describe({"a": 1}) == "dict[1]" and describe(42) == "int" and describe(None) == "None"
    assert args_repr(([PLANTED], 5)) == "(list[1], int)"
    assert kwargs_repr({"job_id": "j", "step": "s", "text": PLANTED}) == (
        "{'job_id': 'j', 'step': 's', 'text': str[26]}")


def test_a_retried_step_is_sent_with_the_same_kind_of_reprs(monkeypatch):
    """A retry is a new message built from the request: it must not fall back to repr()."""
    from workers.runtime.errors import TransientError
    from workers.smoke.tasks import add_one

    sent = {}

    def retry(**options):
        sent.update(options)
        return RuntimeError("retried")
    monkeypatch.setattr(add_one, "retry", retry)
    add_one.push_request(retries=0, args=[918_273], kwargs={})
    try:
        with pytest.raises(RuntimeError, match="retried"):
            add_one._retry_transient(TransientError("blip"), "job-1", "second",
                                     {"fail_attempts": 1})
    finally:
        add_one.pop_request()
    assert sent["argsrepr"] == "(int)"
    assert sent["kwargsrepr"] == "{'fail_attempts': int, 'job_id': 'job-1', 'step': 'second'}"
    assert sent["kwargs"] == {"fail_attempts": 1, "job_id": "job-1", "step": "second"}

"""Advancing a pipeline: start each stage whose upstream stages succeeded, as a child job
with its inputs mapped from their results, and end the pipeline when every stage succeeded
or one did not.

An advance may run any number of times, concurrently too (at submission, whenever a child
job ends, when the reaper finds the pipeline quiet): it only reads the children's states and
makes changes that are safe to repeat. A stage's child is submitted with the idempotency key
``pipeline:<parent>:<stage>``, so two advances never make two children; marking a stage done
or the pipeline ended is once-only in the job store's scripts.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from kombu.exceptions import OperationalError
from marshmallow import ValidationError

from app import metrics
from app.auth.keys import Principal
from app.backpressure import QueueFull
from app.extensions import job_store
from app.jobs.model import ACTIVE_STATES, CANCELLED, FAILED, SUCCEEDED, Job
from app.jobs.store import JobNotFound
from app.settings import get_settings
from app.workflows.pipeline import dag, paths

log = logging.getLogger("dia3.pipeline")
#: errors that pass: backpressure on a stage's queue, Redis or the broker away for a moment
RETRIED = (QueueFull, redis.RedisError, OperationalError)


def child_key(parent_id: str, stage: str) -> str:
    """The idempotency key of a stage's child job."""
    return f"pipeline:{parent_id}:{stage}"


def runs_as(parent: Job) -> Principal:
    """Who a stage's child job is submitted by: the key that submitted the pipeline."""
    return Principal(key_id=parent.owner, role="analyst", tenant=parent.tenant,
                     name=f"pipeline {parent.id}")


class StageFailed(Exception):
    """A stage that cannot succeed (its child failed, or its inputs do not fit)."""

    def __init__(self, stage: str, reason: str):
        super().__init__(f"stage {stage} failed: {reason}")
        self.stage = stage


def advance(job_id: str) -> str:
    """One advance of pipeline ``job_id``; returns the pipeline's state after it (or
    ``missing``)."""
    store = job_store()
    try:
        parent = store.get(job_id, with_params=True)
    except JobNotFound:
        return "missing"
    if parent.state not in ACTIVE_STATES:
        return parent.state
    store.heartbeat(job_id)
    stages = parent.params["stages"]
    records = store.steps(job_id)
    children: dict[str, Job] = {}
    try:
        for name in dag.order(stages):
            stage = next(s for s in stages if s["name"] == name)
            if all(children.get(up) and children[up].state == SUCCEEDED
                   for up in dag.upstream(stage)):
                children[name] = _follow(parent, stage, records.get(name, {}), children)
    except StageFailed as failure:
        _fail(parent, failure, children)
        return FAILED
    if len(children) == len(stages) and all(c.state == SUCCEEDED for c in children.values()):
        return _finish(parent, stages, children)
    return store.state(job_id) or "missing"


def _follow(parent: Job, stage: dict[str, Any], record: dict[str, Any],
            children: dict[str, Job]) -> Job:
    """The stage's child job, submitted now if it has none yet; its end recorded on the
    parent."""
    store = job_store()
    name = stage["name"]
    child = None
    if record.get("job_id"):
        try:
            child = store.get(record["job_id"])
        except JobNotFound:  # deleted (with its idempotency key): the stage runs again
            child = None
    if child is None:
        child = _submit(parent, stage, children)
        if store.state(parent.id) not in ACTIVE_STATES:  # cancelled meanwhile
            from app import service
            service.cancel_children(parent.id)
            child = store.get(child.id)
    if child.state == SUCCEEDED:
        if record.get("state") != "done":
            if record.get("state") != "running":  # it ended before an advance saw it run
                _record_start(parent.id, name, child.id)
            store.step_done(parent.id, name, None, _runtime(child))
    elif child.state == FAILED:
        raise StageFailed(name, (child.error or {}).get("message") or "its job failed")
    elif child.state == CANCELLED:
        raise StageFailed(name, "its job was cancelled")
    elif record.get("state") != "running" or record.get("job_id") != child.id:
        _record_start(parent.id, name, child.id)
    return child


def _record_start(parent_id: str, stage: str, child_id: str) -> None:
    store = job_store()
    store.step_start(parent_id, stage, "", "")
    store.step_progress(parent_id, stage, job_id=child_id)


def _runtime(child: Job) -> float:
    return max(0.0, (child.finished_at or child.updated_at) - child.created_at)


def _submit(parent: Job, stage: dict[str, Any], children: dict[str, Job]) -> Job:
    from app import service
    params = json.loads(json.dumps(stage.get("params") or {}))
    for target, source in (stage.get("inputs") or {}).items():
        upstream = children[source["from"]]
        try:
            value = paths.extract(job_store().result(upstream.id, upstream), source["path"])
            paths.assign(params, target, value)
        except (paths.PathError, LookupError) as error:
            raise StageFailed(stage["name"], f"input '{target}' from stage "
                                             f"{source['from']}: {error}") from None
    try:
        child, _ = service.submit(runs_as(parent), stage["workflow"], params,
                                  child_key(parent.id, stage["name"]), parent_id=parent.id)
    except ValidationError as error:
        raise StageFailed(stage["name"], "its params are not valid with its inputs filled "
                                         f"in: {json.dumps(error.messages)[:1500]}") from None
    except RETRIED:
        raise  # for later: the advance is retried
    except Exception as error:  # noqa: BLE001 - e.g. params this version cannot build
        raise StageFailed(stage["name"], f"its job could not be submitted: "
                                         f"{error.__class__.__name__}: {error}"[:2000]) from None
    log.info("pipeline stage started", extra={"job": parent.id, "stage": stage["name"],
                                               "child": child.id})
    return child


def _fail(parent: Job, failure: StageFailed, children: dict[str, Job]) -> None:
    """Fail the pipeline naming the stage, and cancel its other children still running (a
    retry runs them again from where they stopped)."""
    from app import service
    store = job_store()
    if not store.fail(parent.id, error_type="StageFailed", message=str(failure)[:2000],
                      step=failure.stage):
        return
    metrics.observe_job_end(parent.workflow, FAILED, parent.created_at)
    log.warning("pipeline failed", extra={"job": parent.id, "stage": failure.stage})
    service.cancel_children(parent.id)


def _finish(parent: Job, stages: list[dict[str, Any]], children: dict[str, Job]) -> str:
    store = job_store()
    result: dict[str, Any] = {
        "stages": {s["name"]: {"job_id": children[s["name"]].id, "state": SUCCEEDED}
                   for s in stages},
        "results": {}}
    budget = get_settings().pipeline_results_max_bytes
    omitted = []
    for stage in reversed(stages):  # the last stages' first: usually what was asked for
        child = children[stage["name"]]
        value = store.result(child.id, child)
        size = len(json.dumps(value, separators=(",", ":")))
        if size <= budget:
            result["results"][stage["name"]] = value
            budget -= size
        else:
            omitted.append(stage["name"])
    result["results"] = {s["name"]: result["results"][s["name"]] for s in stages
                         if s["name"] in result["results"]}
    if omitted:
        result["results_omitted"] = [s["name"] for s in stages if s["name"] in omitted]
    succeeded, workflow, created_at = store.finish(parent.id, stages[-1]["name"], result, 0.0)
    if succeeded:
        metrics.observe_job_end(workflow, SUCCEEDED, created_at)
        log.info("pipeline succeeded", extra={"job": parent.id})
    return store.state(parent.id) or SUCCEEDED

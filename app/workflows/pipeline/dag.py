"""A pipeline's stages as a graph: who waits on whom, the order they can run in, and every
error of a submitted pipeline keyed by its field path (``stages.1.inputs.texts``)."""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from marshmallow import ValidationError

from app.workflows.pipeline import paths, types
from app.workflows.prechecks import precheck

Errors = dict[Any, Any]
#: a stage cannot be a pipeline: one level of child jobs keeps cancel and retry simple
NESTED = "pipeline"


def upstream(stage: dict[str, Any]) -> list[str]:
    """The stages ``stage`` waits on: those named in ``after`` and its inputs' sources."""
    found = list(stage.get("after") or [])
    found += [source["from"] for source in (stage.get("inputs") or {}).values()]
    return list(dict.fromkeys(found))


def order(stages: list[dict[str, Any]]) -> list[str]:
    """Stage names so that each comes after every stage it waits on (ties in their given
    order); raises ValueError with the cycle when there is one."""
    names = [stage["name"] for stage in stages]
    waits = {stage["name"]: upstream(stage) for stage in stages}
    done: list[str] = []
    while len(done) < len(names):
        ready = [n for n in names if n not in done and all(u in done for u in waits[n])]
        if not ready:
            raise ValueError(" → ".join(find_cycle(waits, [n for n in names if n not in done])))
        done.append(ready[0])
    return done


def find_cycle(waits: dict[str, list[str]], left: list[str]) -> list[str]:
    """One cycle among the stages ``left`` (each waits on another of them), closed."""
    path = [left[0]]
    while True:
        nxt = next(u for u in waits[path[-1]] if u in left)
        if nxt in path:
            cycle = path[path.index(nxt):]
            return [*cycle, nxt]
        path.append(nxt)


def check(stages: list[dict[str, Any]], find_workflow) -> Errors:
    """Every error of the (field-checked) ``stages``, keyed like the params. ``find_workflow``
    gives a registered workflow by name or raises KeyError."""
    errors: Errors = defaultdict(lambda: defaultdict(list))
    by_name: dict[str, int] = {}
    for i, stage in enumerate(stages):
        if stage["name"] in by_name:
            errors[i]["name"].append(f"Duplicate stage name '{stage['name']}' (stage "
                                     f"{by_name[stage['name']]} has it).")
        by_name.setdefault(stage["name"], i)
    workflows = {}
    for i, stage in enumerate(stages):
        try:
            if stage["workflow"] == NESTED:
                raise KeyError(stage["workflow"])
            workflows[stage["name"]] = find_workflow(stage["workflow"])
        except KeyError:
            errors[i]["workflow"].append(f"Unknown workflow '{stage['workflow']}'"
                                         + (" (a stage cannot be a pipeline)."
                                            if stage["workflow"] == NESTED else "."))
        for name in stage["after"]:
            if name not in by_name or name == stage["name"]:
                errors[i]["after"].append(f"No other stage is called '{name}'.")
        for target, source in stage["inputs"].items():
            problems = _input_problems(stage, target, source, by_name)
            if problems:
                errors[i].setdefault("inputs", {})[target] = problems
    if not errors:
        try:
            order(stages)
        except ValueError as cycle:
            _cycle_errors(errors, stages, str(cycle))
    if not errors:
        for i, stage in enumerate(stages):
            found = _stage_errors(stage, workflows)
            for key, value in found.items():
                errors[i][key] = value
    return _plain(errors)


def _cycle_errors(errors: Errors, stages: list[dict[str, Any]], cycle: str) -> None:
    """The cycle's message at each edge of it: the ``after`` entry or the input by which a
    stage of the cycle waits on the next."""
    message = f"The stages wait on each other in a cycle: {cycle} (each waits on the next)."
    names = cycle.split(" → ")
    index = {stage["name"]: i for i, stage in enumerate(stages)}
    for waiting, on in zip(names, names[1:]):
        i, stage = index[waiting], stages[index[waiting]]
        if on in stage["after"]:
            errors[i]["after"].append(message)
            continue
        target = next(t for t, s in stage["inputs"].items() if s["from"] == on)
        errors[i].setdefault("inputs", {})[target] = [message]


def _input_problems(stage: dict[str, Any], target: str, source: dict[str, Any],
                    by_name: dict[str, int]) -> list[str]:
    problems = []
    try:
        paths.parse(target, wildcards=False)
    except paths.PathError as error:
        problems.append(f"Not a param path: {error}")
    if source["from"] not in by_name or source["from"] == stage["name"]:
        problems.append(f"No other stage is called '{source['from']}'.")
    try:
        paths.parse(source["path"])
    except paths.PathError as error:
        problems.append(f"Not a result path: {error}")
    return problems


def _stage_errors(stage: dict[str, Any], workflows: dict[str, Any]) -> Errors:
    """A stage's mapped inputs checked against the types known statically, and its params
    validated with its workflow's schema, each mapped input filled by a placeholder of its
    type; errors at a mapped input itself are left to when the real value is there."""
    workflow = workflows[stage["name"]]
    schema = workflow.schema()
    errors: Errors = {}
    params = copy.deepcopy(stage["params"])
    mapped = []
    for target, source in stage["inputs"].items():
        tokens = paths.parse(target, wildcards=False)
        field = types.field_at(schema, tokens)
        # params of several shapes (oneOf): a field depends on the variant, so not checked here
        if field is None and len(tokens) == 1 and not getattr(schema, "variants", None):
            errors.setdefault("inputs", {})[target] = [
                f"Workflow '{workflow.name}' has no param '{target}'."]
            continue
        wanted = types.field_type(field)
        produced = workflows[source["from"]].result_types.get(source["path"])
        if not types.compatible(produced, wanted):
            errors.setdefault("inputs", {})[target] = [
                f"Stage '{source['from']}' gives {produced} at '{source['path']}'; param "
                f"'{target}' of '{workflow.name}' takes {wanted}."]
        try:
            paths.assign(params, target, types.placeholder(wanted or produced))
        except paths.PathError as error:
            errors.setdefault("inputs", {})[target] = [f"Cannot put the input there: {error}"]
            continue
        mapped.append(tokens)
    try:
        precheck(schema, params)
        found = schema.validate(params)
    except ValidationError as error:
        found = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    for tokens in mapped:
        _prune(found, tokens)
    if found:
        errors["params"] = found
    return errors


def _prune(errors: Errors, tokens: list) -> None:
    """Drop the errors at (and under) a mapped input's path."""
    node = errors
    for token in tokens[:-1]:
        node = node.get(token) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict):
        node.pop(tokens[-1], None)


def _plain(errors: Any) -> Any:
    """Nested defaultdicts as plain dicts, without empty entries."""
    if isinstance(errors, dict):
        out = {key: _plain(value) for key, value in errors.items()}
        return {key: value for key, value in out.items() if value}
    return errors

"""Every cited evidence id must be a chunk retrieved for this job: verify, drop and flag."""

from __future__ import annotations

from typing import Any


def verify_citations(value: Any, known: set[str], where: str = "") -> tuple[Any, list[dict]]:
    """A copy of ``value`` with unknown evidence ids removed, and one problem per removal.

    Looks at ``evidence_ids`` lists and ``citations`` entries (``{"id": …}``) at any depth.
    A citation entry whose id is unknown is dropped whole.
    """
    problems: list[dict] = []

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, child in node.items():
                here = f"{path}.{key}" if path else key
                if key == "evidence_ids" and isinstance(child, list):
                    kept = [i for i in child if i in known]
                    problems.extend({"path": here, "id": i, "problem": "not retrieved"}
                                    for i in child if i not in known)
                    out[key] = kept
                elif key == "citations" and isinstance(child, list):
                    kept = []
                    for n, entry in enumerate(child):
                        cid = entry.get("id") if isinstance(entry, dict) else None
                        if cid in known:
                            kept.append(entry)
                        else:
                            problems.append({"path": f"{here}.{n}", "id": cid,
                                             "problem": "not retrieved"})
                    out[key] = kept
                else:
                    out[key] = walk(child, here)
            return out
        if isinstance(node, list):
            return [walk(child, f"{path}.{i}") for i, child in enumerate(node)]
        return node

    return walk(value, where), problems


def cited_ids(value: Any) -> set[str]:
    """Every evidence id cited anywhere in ``value``."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "evidence_ids" and isinstance(child, list):
                found.update(i for i in child if isinstance(i, str))
            elif key == "citations" and isinstance(child, list):
                found.update(c["id"] for c in child if isinstance(c, dict) and "id" in c)
            else:
                found |= cited_ids(child)
    elif isinstance(value, list):
        for child in value:
            found |= cited_ids(child)
    return found


#: Where a stage's output keeps the citations removed from it, until the report lists them.
PROBLEMS_KEY = "citation_problems"


def checked(output: dict, known: set[str], where: str) -> dict:
    """A stage's output with its unknown citations removed, listed under ``PROBLEMS_KEY``,
    so that no later agent's prompt carries an id that was never retrieved."""
    value, problems = verify_citations(output, known, where)
    return {**value, PROBLEMS_KEY: problems}


def split_problems(output: dict) -> tuple[dict, list[dict]]:
    """(the output without its problem list, the problems) of a :func:`checked` output."""
    value = {k: v for k, v in output.items() if k != PROBLEMS_KEY}
    return value, list(output.get(PROBLEMS_KEY, []))

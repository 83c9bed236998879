"""Every workflow's examples (``GET /workflows``, the OpenAPI spec, docs/api.md) run to
success on real workers, exactly as published.

The knowledge examples name a collection: it is created first in the test's own tenant, and
for the workflows that read it, filled with the ``ingest`` example's documents. A pipeline's
stages are prepared the same way, each collection once."""

from __future__ import annotations

import pytest

from app.workflows.registry import all_workflows, get_workflow
from tests.integration.kb_helpers import create_collection, ingest

READ_DOCUMENTS = ("strategic_analysis", "summarize", "topics")
EXAMPLES = [pytest.param(workflow.name, example.params, id=f"{workflow.name}-{i + 1}")
            for workflow in all_workflows() for i, example in enumerate(workflow.examples)]


def prepare_collection(client, workflow: str, params: dict) -> None:
    if workflow == "pipeline":
        prepared = set()
        for stage in params["stages"]:
            name = stage.get("params", {}).get("collection")
            if name and name not in prepared:
                prepare_collection(client, stage["workflow"], stage["params"])
                prepared.add(name)
        return
    if "collection" not in params:
        return
    create_collection(client, name=params["collection"])
    if workflow in READ_DOCUMENTS:
        documents = get_workflow("ingest").examples[0].params["documents"]
        ingest(client, params["collection"], documents)


@pytest.mark.parametrize("workflow,params", EXAMPLES)
def test_each_published_example_succeeds_on_workers(make_client, worker, workflow, params):
    client = make_client("analyst")
    prepare_collection(client, workflow, params)
    response = client.submit(workflow, params)
    assert response.status_code == 202, response.get_json()
    job = client.wait(response.get_json()["id"], timeout=240)
    assert job["state"] == "succeeded", job["error"]
    result = client.get(f"/api/v1/jobs/{job['id']}/result").get_json()["result"]
    assert result and isinstance(result, dict), result

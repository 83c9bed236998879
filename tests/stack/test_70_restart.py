"""The whole stack stopped and started again (containers removed, volumes kept): jobs,
results, keys and the knowledge base are all still there."""

from __future__ import annotations

import pytest

from tests.stack.jobs import DOCUMENTS, collection_with_documents, run, texts

pytestmark = pytest.mark.stack


def test_a_restart_of_the_whole_stack_keeps_jobs_and_results(stack, analyst):
    job, result = run(analyst, "sentiment", {"texts": texts(90)})
    collection, _ = collection_with_documents(analyst, DOCUMENTS)
    stack.compose("down", "--timeout", "60")
    stack.compose("up", "-d", "--wait", "--wait-timeout", "300", timeout=420)
    assert analyst.job(job["id"])["state"] == "succeeded"
    assert analyst.result(job["id"])["result"] == result
    assert analyst.collection(collection)["document_count"] == len(DOCUMENTS)
    run(analyst, "smoke", {})  # and it still works

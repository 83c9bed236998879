"""The MCP server over streamable HTTP, driven by the MCP SDK's own client: tools, a job run
to the end, its result and report resource, errors a client can act on, and key checks."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import requests
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

from tests.ui.processes import serving

pytestmark = pytest.mark.integration

TOOLS = {"list_workflows", "submit_job", "get_job", "wait_job", "list_jobs", "cancel_job",
         "retry_job", "get_result", "search_knowledge", "find_topics"}


@pytest.fixture(scope="module")
def mcp_url(dia3_env, worker, tmp_path_factory):
    with serving("mcp", {}, tmp_path_factory.mktemp("mcp"), "/mcp", healthy=(401,)) as url:
        yield url + "/mcp"


def new_key(role: str = "analyst", tenant: str | None = None) -> str:
    from app.extensions import key_store
    return key_store().create(role, tenant or f"mcp{uuid.uuid4().hex[:10]}")[0]


def session(url: str, key: str, scenario) -> object:
    """Run ``scenario(client)`` in a client session authenticated with ``key``."""
    async def run():
        async with create_mcp_http_client(headers={"Authorization": f"Bearer {key}"}) as http:
            async with Client(streamable_http_client(url, http_client=http)) as client:
                return await scenario(client)
    return asyncio.run(run())


async def call(client, tool: str, **arguments) -> dict:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return result.structured_content


async def error_of(client, tool: str, **arguments) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    return result.content[0].text


async def until_finished(client, job_id: str, timeout: float = 60) -> dict:
    """The job once it ended, by wait_job (which follows its events)."""
    job = await call(client, "wait_job", job_id=job_id, timeout_seconds=timeout)
    assert job["state"] in ("succeeded", "failed", "cancelled"), f"job still {job['state']}"
    return job


def test_tools_are_listed_with_json_output_schemas(mcp_url):
    async def scenario(client):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == TOOLS
        assert {"id", "state", "progress", "tasks", "report_uri"} <= set(
            tools["get_job"].output_schema["properties"])
        assert tools["submit_job"].input_schema["required"] == ["workflow", "params"]
        workflows = (await call(client, "list_workflows"))["result"]
        by_name = {w["name"]: w for w in workflows}
        assert {"sentiment", "smoke", "monte_carlo"} <= set(by_name)
        assert by_name["sentiment"]["params_schema"]["required"] == ["texts"]
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["dia3://jobs/{job_id}/report"]
    session(mcp_url, new_key("viewer"), scenario)


def test_workflows_are_described_from_the_same_schemas_and_examples(mcp_url):
    import json

    from app.api.workflows import describe
    from app.workflows.registry import all_workflows

    async def scenario(client):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        listed = {w["name"]: w for w in (await call(client, "list_workflows"))["result"]}
        for workflow in all_workflows():
            published = describe(workflow)
            assert listed[workflow.name]["params_schema"] == published["params_schema"]
            assert listed[workflow.name]["examples"] == published["examples"]
            first = json.dumps(workflow.examples[0].params, ensure_ascii=False)
            assert f"- {workflow.name}: " in tools["submit_job"].description
            assert first in tools["submit_job"].description
        assert listed["monte_carlo"]["params_schema"]["discriminator"]["propertyName"] == \
            "model"
    session(mcp_url, new_key("viewer"), scenario)


def test_submit_poll_to_the_end_and_read_result_and_report(mcp_url):
    async def scenario(client):
        job = await call(client, "submit_job", workflow="sentiment",
                         params={"texts": ["I love it", "Awful, just awful", "It is a chair"]},
                         idempotency_key="mcp-1")
        assert job["state"] in ("queued", "running", "succeeded")
        assert set(job["tasks"]) == {"batch-00000", "aggregate"}
        again = await call(client, "submit_job", workflow="sentiment",
                           params={"texts": ["other"]}, idempotency_key="mcp-1")
        assert again["id"] == job["id"]

        done = await until_finished(client, job["id"])
        assert done["state"] == "succeeded" and done["progress"]["done"] == 2
        assert set(done["steps"]) == {"batch-00000", "aggregate"}
        result = await call(client, "get_result", job_id=job["id"])
        assert result["workflow"] == "sentiment"
        assert result["result"]["counts"] == {"negative": 1, "neutral": 1, "positive": 1}
        listed = await call(client, "list_jobs", state="succeeded", workflow="sentiment")
        assert [j["id"] for j in listed["items"]] == [job["id"]]

        report = await client.read_resource(job["report_uri"])
        text = report.contents[0].text
        assert text.startswith(f"# sentiment job {job['id']}")
        assert "| state | succeeded |" in text and "| positive | 1 | 33.3% |" in text
    session(mcp_url, new_key(), scenario)


def test_errors_say_what_to_change(mcp_url):
    other_tenant_job = {}

    async def submit_elsewhere(client):
        other_tenant_job.update(await call(client, "submit_job", workflow="smoke", params={}))
    session(mcp_url, new_key(), submit_elsewhere)

    async def scenario(client):
        assert "No job" in await error_of(client, "get_job",
                                          job_id=other_tenant_job["id"])
        assert "No job" in await error_of(client, "get_job", job_id="nope")
        assert "No job" in await error_of(client, "wait_job", job_id=other_tenant_job["id"])
        assert "timeout_seconds" in await error_of(client, "wait_job",
                                                   job_id=other_tenant_job["id"],
                                                   timeout_seconds=3600)
        message = await error_of(client, "submit_job", workflow="sentiment",
                                 params={"texts": []})
        assert "Invalid request" in message and "texts" in message
        assert "Unknown workflow" in await error_of(client, "submit_job", workflow="poetry",
                                                    params={})
        assert "no knowledge-base collections" in await error_of(
            client, "search_knowledge", query="vacation days")
        assert "not" in await error_of(client, "search_knowledge", query="vacation days",
                                       collection="missing")
    session(mcp_url, new_key(), scenario)

    async def read_only(client):
        assert "may only read" in await error_of(client, "submit_job", workflow="smoke",
                                                 params={})
    session(mcp_url, new_key("viewer"), read_only)


def test_tool_arguments_have_the_rest_apis_limits(mcp_url):
    """The tools load their arguments with the REST API's request schemas: what REST answers
    with a field-level 422 is a tool error naming the same field."""
    async def scenario(client):
        cursor = await error_of(client, "list_jobs", cursor="not-a-cursor")
        assert "Invalid request" in cursor and "Not a valid cursor." in cursor
        nan = await error_of(client, "list_jobs", cursor="bmFufHg")  # "nan|x"
        assert "Not a valid cursor." in nan
        assert "limit" in await error_of(client, "list_jobs", limit=100_000)
        query = await error_of(client, "search_knowledge", query="q" * 100_000)
        assert "query" in query and "2000" in query
        assert "k" in await error_of(client, "search_knowledge", query="q", k=101)
        key = await error_of(client, "submit_job", workflow="smoke", params={},
                             idempotency_key="k" * 201)
        assert "idempotency_key" in key
    session(mcp_url, new_key(), scenario)


def test_cancel_job_stops_an_active_job_and_retry_job_runs_it_again(mcp_url):
    async def scenario(client):
        job = await call(client, "submit_job", workflow="monte_carlo", params={
            "model": "gbm", "n_simulations": 8_000_000, "shards": 64,
            "params": {"s0": 100, "drift": 0.05, "volatility": 0.2, "horizon": 1,
                       "steps": 250}})
        cancelled = await call(client, "cancel_job", job_id=job["id"])
        assert cancelled["state"] == "cancelled"
        assert "cancelled" in await error_of(client, "cancel_job", job_id=job["id"])
        retried = await call(client, "retry_job", job_id=job["id"])
        assert retried["state"] == "queued" and retried["attempts"] == 2
        assert "cannot become retried" in await error_of(client, "retry_job", job_id=job["id"])
        await call(client, "cancel_job", job_id=job["id"])  # leave the worker free
    session(mcp_url, new_key(), scenario)


def test_tool_changes_are_audited_like_the_rest_apis(mcp_url):
    from app import audit
    from app.extensions import key_store
    key = new_key()
    principal = key_store().lookup(key)
    found = {}

    async def scenario(client):
        job = await call(client, "submit_job", workflow="smoke", params={"start": 1})
        found["job"] = job["id"]
        await until_finished(client, job["id"])
        await error_of(client, "cancel_job", job_id=job["id"])
    session(mcp_url, key, scenario)
    entries = audit.query(actor=principal.key_id).items
    assert [(e.action, e.target, e.outcome, e.status) for e in entries] == [
        ("job.cancel", f"job:{found['job']}", "error", 409),
        ("job.submit", f"job:{found['job']}", "ok", None)]
    assert {e.tenant for e in entries} == {principal.tenant}
    assert all(e.request_id.startswith("mcp-") for e in entries)
    assert key not in str([e.to_dict() for e in entries])


def test_a_missing_bad_revoked_or_expired_key_is_refused(mcp_url):
    response = requests.post(mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                             headers={"Accept": "application/json, text/event-stream"},
                             timeout=5)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")

    async def list_tools(client):
        return await client.list_tools()
    with pytest.raises(ExceptionGroup) as refused:
        session(mcp_url, "dia3_unknown_key", list_tools)
    assert refused.group_contains(MCPError)

    from app.extensions import key_store
    key, principal = key_store().create("analyst", "revoked")
    assert session(mcp_url, key, list_tools).tools
    assert key_store().describe(principal.key_id)["last_used_at"] is not None
    key_store().revoke(principal.key_id)
    with pytest.raises(ExceptionGroup) as refused:
        session(mcp_url, key, list_tools)
    assert refused.group_contains(MCPError)
    expired, _ = key_store().create("analyst", "expired", expires_at=time.time() - 1)
    with pytest.raises(ExceptionGroup) as refused:
        session(mcp_url, expired, list_tools)
    assert refused.group_contains(MCPError)


def test_search_knowledge_finds_the_tenants_passages(mcp_url):
    from app.extensions import key_store
    from app.workflows.knowledge import service as knowledge
    from workers.knowledge.engine.ingest import ingest_text
    key = new_key()
    tenant = key_store().lookup(key).tenant
    collection = knowledge.create_collection(tenant, "handbook")
    ingest_text(knowledge.open_collection(tenant, "handbook"),
                "Employees get thirty vacation days per year.", document_id="leave")
    ingest_text(knowledge.open_collection(tenant, "handbook"),
                "The office opens at nine in the morning.", document_id="hours")
    assert collection

    async def scenario(client):
        hits = (await call(client, "search_knowledge", query="vacation days per year",
                           k=1))["result"]
        assert hits[0]["document_id"] == "leave" and hits[0]["collection"] == "handbook"
    session(mcp_url, key, scenario)


def test_find_topics_runs_a_topics_job_and_names_bad_fields(mcp_url):
    from app.extensions import key_store
    from app.workflows.knowledge import service as knowledge
    from workers.knowledge.engine.ingest import ingest_text
    key = new_key()
    tenant = key_store().lookup(key).tenant
    knowledge.create_collection(tenant, "news")
    for i, text in enumerate(["The striker scored and the team won the cup match.",
                              "The bank raised interest rates as inflation rose.",
                              "The goalkeeper saved a penalty in the league match.",
                              "Shares fell as the bank reported lower profit."]):
        ingest_text(knowledge.open_collection(tenant, "news"), text, document_id=f"d{i}",
                    metadata={"desk": "sport" if i % 2 == 0 else "money"})

    async def scenario(client):
        job = await call(client, "find_topics", collection="news", k=2, seed=4)
        assert job["workflow"] == "topics"
        done = await until_finished(client, job["id"])
        assert done["state"] == "succeeded", done["error"]
        result = (await call(client, "get_result", job_id=job["id"]))["result"]
        assert result["document_ids"] == ["d0", "d1", "d2", "d3"] and result["k"] == 2
        assert result["assignments"][0] == result["assignments"][2] != result["assignments"][1]
        assert sum(t["size"] for t in result["topics"]) == 4

        only_sport = await call(client, "find_topics", collection="news", k=1,
                                where={"desk": "sport"})
        done = await until_finished(client, only_sport["id"])
        result = (await call(client, "get_result", job_id=only_sport["id"]))["result"]
        assert result["document_ids"] == ["d0", "d2"]

        assert "k" in await error_of(client, "find_topics", texts=["a", "b"], k=3)
        assert "texts" in await error_of(client, "find_topics")
        assert "collection" in await error_of(client, "find_topics", collection="missing")
    session(mcp_url, key, scenario)

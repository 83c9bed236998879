"""The MCP server: DIA3's job operations as tools, job reports as resources.

Every tool calls :mod:`app.service` with the principal of the request's API key, exactly as
the REST API does, so an LLM client can do what its key may do and nothing else; its
arguments are loaded by the REST API's request schemas, so the limits are the same. Errors a
client can act on (unknown job, invalid params, wrong state, read-only key) come back as tool
errors with the reason, taken from :mod:`app.error_table` like the API's error bodies; the
server runs over streamable HTTP, stateless with JSON responses, so any number of replicas
can sit behind a load balancer.
"""

from __future__ import annotations

import inspect
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from marshmallow import ValidationError
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from pydantic import AnyHttpUrl
from starlette.applications import Starlette

from app import error_table, service
from app.api.knowledge_schemas import SearchSchema
from app.api.schemas import JobListQuerySchema, JobSubmitSchema
from app.api.workflows import describe
from app.logs import request_id_var
from app.mcp import knowledge
from app.mcp.auth import KeyVerifier, NotAuthenticated, current_principal
from app.mcp.models import (
    REPORT_URI,
    JobDetail,
    JobInfo,
    JobPage,
    JobResult,
    SearchHit,
    WorkflowInfo,
)
from app.reports import job_markdown
from app.settings import Settings, get_settings
from app.workflows.registry import all_workflows

log = logging.getLogger("dia3.mcp")
INSTRUCTIONS = """DIA3 runs analysis jobs (sentiment, Monte Carlo simulation, ...) on workers.
Call list_workflows to see what can run and the JSON schema of each workflow's params, then
submit_job and wait_job until its state is succeeded, failed or cancelled; get_result
returns the result of a succeeded job and the resource in report_uri a Markdown report;
retry_job runs a failed or cancelled job again from the steps it did not finish."""


class ServiceError(ToolError):
    """A tool error for a service exception, with the HTTP status the API would answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def tool_error(exc: BaseException) -> ServiceError | None:
    """The tool error for ``exc``; None when it is unexpected (its text stays on the server,
    where the SDK logs it)."""
    failure = error_table.failure_of(exc)
    if failure.internal:
        return None
    if failure.fields is not None:
        return ServiceError(f"Invalid request: {json.dumps(failure.fields)}", failure.status)
    return ServiceError(failure.message, failure.status)


@contextmanager
def service_errors() -> Iterator[None]:
    """Turn service exceptions into tool errors that tell the client what to change."""
    request_id_var.set(f"mcp-{uuid.uuid4().hex}")
    try:
        yield
    except (knowledge.KnowledgeBaseUnavailable, NotAuthenticated) as exc:
        raise ToolError(str(exc)) from None  # the MCP server's own reasons
    except Exception as exc:
        error = tool_error(exc)
        if error is None:
            raise
        raise error from None


def list_workflows() -> list[WorkflowInfo]:
    """Every workflow that can be submitted, with the JSON schema of its params."""
    return [WorkflowInfo(**describe(w)) for w in all_workflows()]


def submit_job(workflow: str, params: dict[str, Any],
               idempotency_key: str | None = None) -> JobInfo:
    """Submit a job; params must match the workflow's params_schema (list_workflows). With
    an idempotency key already used by this tenant, the existing job is returned instead."""
    with service_errors():
        body = JobSubmitSchema().load({"workflow": workflow, "params": params,
                                       "idempotency_key": idempotency_key})
        job, _ = service.submit(current_principal(), body["workflow"], body["params"],
                                body["idempotency_key"])
        return JobInfo.of(job.to_dict())


def get_job(job_id: str) -> JobDetail:
    """A job with its params, progress, per-step records and Celery task ids."""
    with service_errors():
        principal = current_principal()
        detail = service.get(principal, job_id, with_params=True).to_dict()
        detail["steps"] = service.steps(principal, job_id)
        return JobDetail.of(detail)


#: the longest a wait_job call may wait (a tool call should not hang its client for long)
MAX_WAIT_SECONDS = 300


def wait_job(job_id: str, timeout_seconds: float = 60) -> JobDetail:
    """Wait until the job ends and return it with its progress and per-step records; after
    timeout_seconds (up to 300) it is returned as it is then, still queued or running, and
    wait_job can be called again. Follows the job's events rather than polling."""
    with service_errors():
        if not 0 < timeout_seconds <= MAX_WAIT_SECONDS:
            raise ValidationError({"timeout_seconds": [
                f"Must be more than 0 and at most {MAX_WAIT_SECONDS}."]})
        principal = current_principal()
        detail = service.wait(principal, job_id, timeout_seconds).to_dict()
        detail["steps"] = service.steps(principal, job_id)
        return JobDetail.of(detail)


def list_jobs(state: str | None = None, workflow: str | None = None, limit: int = 20,
              cursor: str | None = None) -> JobPage:
    """The tenant's jobs, newest first; filter by state and workflow, page with cursor
    (limit: 1 to DIA3_PAGE_SIZE_MAX)."""
    with service_errors():
        query = JobListQuerySchema().load({"state": state, "workflow": workflow,
                                           "limit": limit, "cursor": cursor})
        page = service.list_jobs(current_principal(), **query)
        return JobPage(items=[JobInfo.of(j.to_dict()) for j in page.items],
                       next_cursor=page.next_cursor)


def cancel_job(job_id: str) -> JobInfo:
    """Cancel a queued or running job."""
    with service_errors():
        return JobInfo.of(service.cancel(current_principal(), job_id).to_dict())


def retry_job(job_id: str) -> JobInfo:
    """Run a failed or cancelled job again from the steps it did not finish."""
    with service_errors():
        return JobInfo.of(service.retry(current_principal(), job_id).to_dict())


def get_result(job_id: str) -> JobResult:
    """The result of a succeeded job (an error names the state while it is not)."""
    with service_errors():
        job, result = service.result(current_principal(), job_id)
        return JobResult(job_id=job.id, workflow=job.workflow, result=result)


def search_knowledge(query: str, collection: str | None = None, k: int = 5) -> list[SearchHit]:
    """Search the knowledge base for passages relevant to query (k best hits with scores)."""
    with service_errors():
        body = SearchSchema().load({"query": query, "k": k})
        hits = knowledge.search(current_principal(), body["query"], collection, body["k"])
        return [SearchHit(**hit) for hit in hits]


def find_topics(collection: str | None = None, texts: list[str] | None = None,
                k: int | str = "auto", seed: int = 0,
                where: dict[str, Any] | None = None) -> JobInfo:
    """Find the topics of a knowledge-base collection (its documents; where: a metadata
    filter as for search) or of a list of texts: k topics, or "auto". Submits a topics job;
    wait_job, then get_result gives each topic's label, keywords, size and
    representative texts, and a topic per input (-1: an outlier of "auto")."""
    params = {name: value for name, value in (("collection", collection), ("texts", texts),
                                              ("where", where)) if value is not None}
    return submit_job("topics", {**params, "k": k, "seed": seed})


def job_report(job_id: str) -> str:
    """A Markdown report of the job: state, timings, error and (when succeeded) its result."""
    try:
        with service_errors():
            principal = current_principal()
            job = service.get(principal, job_id)
            result = service.result(principal, job_id)[1] if job.state == "succeeded" else None
    except ToolError as exc:
        if isinstance(exc, ServiceError) and exc.status == 404:
            raise ResourceNotFoundError(str(exc)) from None
        raise ResourceError(str(exc)) from None
    return job_markdown(job.to_dict(), result)


TOOLS = (list_workflows, submit_job, get_job, wait_job, list_jobs, cancel_job, retry_job,
         get_result, search_knowledge, find_topics)


def submit_job_description() -> str:
    """submit_job's docstring, then each workflow with the params of its first example, from
    the same registry and schemas as list_workflows."""
    lines = [inspect.getdoc(submit_job) or "", "", "Workflows (params of an example):"]
    for workflow in all_workflows():
        example = json.dumps(workflow.examples[0].params, ensure_ascii=False)
        lines.append(f"- {workflow.name}: {workflow.description} e.g. {example}")
    return "\n".join(lines)


def create_server(settings: Settings | None = None) -> MCPServer:
    settings = settings or get_settings()
    server = MCPServer(
        "dia3", title="DIA3 — Distributed Intelligence Analysis", instructions=INSTRUCTIONS,
        token_verifier=KeyVerifier(),
        # DIA3 issues the API keys itself; no OAuth discovery document is published.
        auth=AuthSettings(issuer_url=AnyHttpUrl(settings.client_api_url),
                          resource_server_url=None),
        log_level=settings.log_level.upper())
    for tool in TOOLS:
        description = submit_job_description() if tool is submit_job else None
        server.tool(description=description)(tool)
    server.resource(REPORT_URI, name="job_report", title="Job report",
                    mime_type="text/markdown")(job_report)
    return server


def create_app(settings: Settings | None = None) -> Starlette:
    """The ASGI app: the MCP endpoint at ``/mcp``."""
    settings = settings or get_settings()
    return create_server(settings).streamable_http_app(
        stateless_http=True, json_response=True, host=settings.mcp_host)

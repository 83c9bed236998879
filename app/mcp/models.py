"""Typed results of the MCP tools: the SDK publishes their JSON schema as each tool's output
schema and sends structured content, so clients get JSON rather than prose."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

REPORT_URI = "dia3://jobs/{job_id}/report"


class Example(BaseModel):
    summary: str
    params: dict[str, Any] = Field(description="Complete params that work as they are")


class WorkflowInfo(BaseModel):
    name: str
    description: str
    category: str
    queue: str
    params_schema: dict[str, Any] = Field(description="JSON schema of the job's params")
    examples: list[Example] = Field(description="At least one complete example of the params")


class Progress(BaseModel):
    done: int
    total: int
    fraction: float
    current_step: str | None = None


class JobInfo(BaseModel):
    id: str
    workflow: str
    state: str = Field(description="queued, running, succeeded, failed or cancelled")
    created_at: float
    updated_at: float
    started_at: float | None = None
    finished_at: float | None = None
    progress: Progress
    error: dict[str, Any] | None = Field(None, description="type, message and step of a "
                                                           "failure")
    tasks: dict[str, str] = Field(default_factory=dict,
                                  description="step → Celery task id (searchable in Flower)")
    idempotency_key: str | None = None
    attempts: int = Field(1, description="1, plus one for every retry or re-dispatch")
    report_uri: str = Field(description="MCP resource with this job's Markdown report")

    @classmethod
    def of(cls, job: dict) -> JobInfo:
        return cls(**{name: job.get(name) for name in cls.model_fields if name in job},
                   report_uri=REPORT_URI.format(job_id=job["id"]))


class JobDetail(JobInfo):
    params: dict[str, Any] | None = None
    steps: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                             description="per-step deliveries, worker, times")


class JobPage(BaseModel):
    items: list[JobInfo]
    next_cursor: str | None = Field(None, description="pass back as cursor for the next page")


class JobResult(BaseModel):
    job_id: str
    workflow: str
    result: Any


class SearchHit(BaseModel):
    collection: str
    document_id: str
    chunk_id: str
    score: float
    text: str
    metadata: dict[str, Any] = Field(default_factory=dict)

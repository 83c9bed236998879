"""Steps of ``summarize``: thin wrappers over ``workers.summarize.engine``."""

from __future__ import annotations

from app.workflows.knowledge import service as knowledge
from app.workflows.summarize import steps
from workers.knowledge.tasks.steps import step_errors
from workers.llm.configured import llm_client
from workers.llm.job_calls import call_agent, job_usage
from workers.runtime.errors import TransientError
from workers.runtime.job_step import job_task
from workers.summarize import engine as summarize


@job_task(steps.SECTION, keep_output=True)
def summarize_section(self, text: str, backend: str, max_points: int, focus: str) -> dict:
    return call_agent(summarize.summarize_text, llm_client(backend), text, max_points, focus)


@job_task(steps.COMBINE, ignore_result=True, final=True)
def summarize_combine(self, _header_results, n_sections: int, backend: str, max_points: int,
                      focus: str) -> dict:
    partials = [out for step, out in sorted(self.outputs().items())
                if step.startswith("section-")]
    if len(partials) != n_sections:
        raise TransientError(f"{len(partials)} of {n_sections} sections present")
    summary = call_agent(summarize.combine, llm_client(backend), partials, max_points, focus) \
        if n_sections > 1 else partials[0]
    return {**summary, "sections": n_sections, "backend": backend, "usage": job_usage()}


@job_task(steps.DOCUMENT, ignore_result=True, final=True)
def summarize_document(self, tenant: str, collection: str, document_id: str | None,
                       backend: str, max_points: int, focus: str) -> dict:
    with step_errors():
        text = knowledge.document_text(tenant, collection, document_id)
    client = llm_client(backend)
    partials = [call_agent(summarize.summarize_text, client, piece, max_points, focus)
                for piece in summarize.sections(text)]
    summary = call_agent(summarize.combine, client, partials, max_points, focus) \
        if len(partials) > 1 else partials[0]
    return {**summary, "sections": len(partials), "backend": backend,
            "collection": collection, "document_id": document_id, "usage": job_usage()}

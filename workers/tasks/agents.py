"""Steps of the agent workflows: thin wrappers over ``workers.agents.strategy``."""

from __future__ import annotations

from dataclasses import fields

from celery import shared_task

from app import knowledge
from app.context import job_store
from app.llm import llm_client
from app.logs import job_id_var
from workers.agents import summarize
from workers.agents.llm.errors import LLMTransientError
from workers.agents.llm.usage import UsageRecord, summarise_usage
from workers.agents.strategy import agents
from workers.agents.strategy.citations import verify_citations
from workers.agents.strategy.markdown import render_report
from workers.engine import JobStep
from workers.errors import PermanentError, TransientError
from workers.tasks.knowledge_steps import step_errors


def usage_record(data: dict) -> UsageRecord:
    names = {f.name for f in fields(UsageRecord)}
    return UsageRecord(**{k: v for k, v in data.items() if k in names})


def llm_call(fn):
    """Run ``fn``; LLM throttling and outages become transient (retried with backoff)."""
    try:
        return fn()
    except LLMTransientError as exc:
        raise TransientError(str(exc), retry_after=exc.retry_after) from None


def call_agent(fn, *args):
    """Run one agent call, recording its usage on the job."""
    data, usage = llm_call(lambda: fn(*args))
    if usage:
        job_store().add_usage(job_id_var.get(), usage)
    return data


def job_usage() -> dict:
    """The job's LLM usage so far, summarised and stored on the job."""
    store = job_store()
    usage = summarise_usage(usage_record(r) for r in store.usage_records(job_id_var.get()))
    store.set_usage(job_id_var.get(), usage)
    return usage


@shared_task(name="dia3.agents.retrieve", base=JobStep, bind=True, keep_output=True)
def retrieve(self, tenant: str, collection: str, perspectives: list[str], k: int) -> dict:
    question = job_store().params(job_id_var.get())["question"]
    with step_errors():  # a Chroma outage is retried; a missing collection fails the job
        hits = [knowledge.search(tenant, collection, query, k=k)
                for query in agents.perspective_queries(question, perspectives)]
    evidence = agents.merge_hits(hits, k)
    if not evidence:
        raise PermanentError(f"collection {collection!r} has no evidence for this question")
    return {"evidence": evidence}


def _evidence(task) -> list[dict]:
    return task.outputs()["retrieve"]["evidence"]


@shared_task(name="dia3.agents.perspective", base=JobStep, bind=True, keep_output=True)
def perspective(self, _previous, perspective: str, question: str, backend: str) -> dict:
    return call_agent(agents.analyse_perspective, llm_client(backend), question, perspective,
                      _evidence(self))


@shared_task(name="dia3.agents.critic", base=JobStep, bind=True, keep_output=True)
def critic(self, _header_results, n_perspectives: int, question: str, backend: str) -> dict:
    analyses = [out for step, out in sorted(self.outputs().items())
                if step.startswith("perspective-")]
    if len(analyses) != n_perspectives:
        raise TransientError(f"{len(analyses)} of {n_perspectives} analyses present")
    return call_agent(agents.critique, llm_client(backend), question, analyses,
                      _evidence(self))


@shared_task(name="dia3.agents.synthesise", base=JobStep, bind=True, ignore_result=True,
             final=True)
def synthesise(self, _previous, question: str, backend: str) -> dict:
    outputs = self.outputs()
    evidence = outputs["retrieve"]["evidence"]
    analyses = [out for step, out in sorted(outputs.items()) if step.startswith("perspective-")]
    report = call_agent(agents.synthesise, llm_client(backend), question, analyses,
                        outputs["critic"], evidence)
    known = {item["id"] for item in evidence}
    report, report_problems = verify_citations(report, known, "report")
    analyses, analysis_problems = verify_citations(analyses, known, "perspectives")
    review, critic_problems = verify_citations(outputs["critic"], known, "critique")
    usage = job_usage()
    return {"question": question, "backend": backend, "report": report,
            "perspectives": analyses, "critique": review, "evidence": evidence,
            "citation_problems": report_problems + analysis_problems + critic_problems,
            "markdown": render_report(question, report, evidence), "usage": usage}


@shared_task(name="dia3.agents.summarize_section", base=JobStep, bind=True, keep_output=True)
def summarize_section(self, text: str, backend: str, max_points: int, focus: str) -> dict:
    return call_agent(summarize.summarize_text, llm_client(backend), text, max_points, focus)


@shared_task(name="dia3.agents.summarize_combine", base=JobStep, bind=True,
             ignore_result=True, final=True)
def summarize_combine(self, _header_results, n_sections: int, backend: str, max_points: int,
                      focus: str) -> dict:
    partials = [out for step, out in sorted(self.outputs().items())
                if step.startswith("section-")]
    if len(partials) != n_sections:
        raise TransientError(f"{len(partials)} of {n_sections} sections present")
    summary = call_agent(summarize.combine, llm_client(backend), partials, max_points, focus) \
        if n_sections > 1 else partials[0]
    return {**summary, "sections": n_sections, "backend": backend, "usage": job_usage()}


@shared_task(name="dia3.agents.summarize_document", base=JobStep, bind=True,
             ignore_result=True, final=True)
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

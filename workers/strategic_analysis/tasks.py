"""Steps of ``strategic_analysis``: thin wrappers over ``workers.strategic_analysis.engine``."""

from __future__ import annotations

from app.extensions import job_store
from app.logs import job_id_var
from app.workflows.knowledge import service as knowledge
from app.workflows.strategic_analysis import steps
from workers.knowledge.tasks.steps import step_errors
from workers.llm.configured import llm_client
from workers.llm.job_calls import call_agent, job_usage
from workers.runtime.errors import PermanentError, TransientError
from workers.runtime.job_step import job_task
from workers.strategic_analysis.engine import agents
from workers.strategic_analysis.engine.citations import checked, split_problems, verify_citations
from workers.strategic_analysis.engine.markdown import render_report


@job_task(steps.RETRIEVE, keep_output=True)
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


def _known(evidence: list[dict]) -> set[str]:
    return {item["id"] for item in evidence}


def _analyses(outputs: dict) -> tuple[list[dict], list[dict]]:
    """The checked analyses of the perspective steps, in order, and what was removed."""
    pairs = [split_problems(out) for step, out in sorted(outputs.items())
             if step.startswith("perspective-")]
    return [value for value, _ in pairs], [p for _, problems in pairs for p in problems]


@job_task(steps.PERSPECTIVE, keep_output=True)
def perspective(self, _previous, perspective: str, question: str, backend: str) -> dict:
    evidence = _evidence(self)
    analysis = call_agent(agents.analyse_perspective, llm_client(backend), question,
                          perspective, evidence)
    index = self.current_step.rsplit("-", 1)[1]
    return checked(analysis, _known(evidence), f"perspectives.{index}")


@job_task(steps.CRITIC, keep_output=True)
def critic(self, _header_results, n_perspectives: int, question: str, backend: str) -> dict:
    outputs = self.outputs()
    analyses, _ = _analyses(outputs)
    if len(analyses) != n_perspectives:
        raise TransientError(f"{len(analyses)} of {n_perspectives} analyses present")
    evidence = outputs["retrieve"]["evidence"]
    review = call_agent(agents.critique, llm_client(backend), question, analyses, evidence)
    return checked(review, _known(evidence), "critique")


@job_task(steps.SYNTHESISE, ignore_result=True,
          final=True)
def synthesise(self, _previous, question: str, backend: str) -> dict:
    outputs = self.outputs()
    evidence = outputs["retrieve"]["evidence"]
    analyses, analysis_problems = _analyses(outputs)
    review, critic_problems = split_problems(outputs["critic"])
    report = call_agent(agents.synthesise, llm_client(backend), question, analyses, review,
                        evidence)
    report, report_problems = verify_citations(report, _known(evidence), "report")
    usage = job_usage()
    return {"question": question, "backend": backend, "report": report,
            "perspectives": analyses, "critique": review, "evidence": evidence,
            "citation_problems": report_problems + analysis_problems + critic_problems,
            "markdown": render_report(question, report, evidence), "usage": usage}

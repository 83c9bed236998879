"""Steps of the ``ingest`` workflow."""

from __future__ import annotations

from app.extensions import job_store
from app.logs import job_id_var
from app.workflows.knowledge import steps as knowledge_steps
from workers.knowledge import ingestion
from workers.knowledge.tasks.steps import batch_progress, step_errors
from workers.runtime.errors import TransientError
from workers.runtime.job_step import job_task


@job_task(knowledge_steps.INGEST_DOCUMENT, keep_output=True)
def document(self, tenant: str, collection: str, index: int, spec: dict) -> dict:
    with step_errors():
        return ingestion.ingest_staged(tenant, collection, index, spec, batch_progress(self))


@job_task(knowledge_steps.INGEST_SUMMARISE, ignore_result=True,
          final=True, soft_time_limit=120, time_limit=180)
def summarise(self, _header_results, tenant: str, collection: str, n_documents: int) -> dict:
    outcomes = [out for step, out in self.outputs().items() if step.startswith("doc-")]
    if len(outcomes) != n_documents:
        raise TransientError(f"{len(outcomes)} of {n_documents} document outcomes present")
    with step_errors():
        result = ingestion.summarise(tenant, collection, outcomes)
    ingestion.discard_uploads(job_store().params(job_id_var.get()).get("documents", []))
    return result

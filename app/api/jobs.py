"""``/api/v1/jobs``: submit, list, read, cancel and delete jobs."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from app import batch, service
from app.api import ratelimit
from app.api.errors import item_error
from app.api.idempotency import idempotency_key
from app.api.json_body import Blueprint
from app.api.links import to_job
from app.api.middleware import principal
from app.api.pages import page_body, page_limit
from app.api.responses import RETRY_AFTER, errors
from app.api.schemas import (
    JobBatchResultSchema,
    JobBatchSchema,
    JobDetailSchema,
    JobListQuerySchema,
    JobPageSchema,
    JobSchema,
    JobSubmitSchema,
    ResultSchema,
)
from app.api.workflows import submission_examples

BATCH_EXAMPLES = {"smoke": {"summary": "Two smoke jobs, the first with an idempotency key",
                            "value": {"jobs": [
                                {"workflow": "smoke", "params": {"start": 1},
                                 "idempotency_key": "nightly-2026-01-05-1"},
                                {"workflow": "smoke", "params": {"start": 2}}]}}}


blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs",
                description="Analysis jobs: submit a workflow, follow it, read its result")


@blp.route("")
class Jobs(MethodView):
    @blp.arguments(JobListQuerySchema, location="query")
    @blp.response(200, JobPageSchema)
    @errors(blp, 422)
    @to_job(200, at="$response.body#/items/0/id")
    def get(self, query):
        """List the tenant's jobs, newest first (cursor pagination), those whose id starts
        with ``id_prefix``, those of one schedule (``schedule_id``) or the child jobs of one
        job (``parent_id``: a pipeline's stages)"""
        limit = page_limit(query["limit"])
        page = service.list_jobs(principal(), state=query["state"], workflow=query["workflow"],
                                 limit=limit, cursor=query["cursor"],
                                 all_tenants=query["all_tenants"],
                                 id_prefix=query["id_prefix"],
                                 schedule_id=query["schedule_id"],
                                 parent_id=query["parent_id"])
        return page_body(page)

    @blp.arguments(JobSubmitSchema, examples=submission_examples())
    @blp.response(202, JobSchema)
    @blp.alt_response(200, schema=JobSchema, description="Existing job (idempotency key)")
    @errors(blp, 403, body=True)
    @to_job(202, 200)
    def post(self, body):
        """Submit a job (503 with Retry-After while its queue is under backpressure); the
        idempotency key may also come in the ``Idempotency-Key`` header"""
        job, created = service.submit(principal(), body["workflow"], body["params"],
                                      idempotency_key(body["idempotency_key"]))
        location = url_for("jobs.JobById", job_id=job.id)
        return job.to_dict(), (202 if created else 200), {"Location": location}


@blp.route("/batch")
class JobBatch(MethodView):
    @blp.arguments(JobBatchSchema, examples=BATCH_EXAMPLES)
    @blp.response(200, JobBatchResultSchema, headers={"Retry-After": RETRY_AFTER})
    @errors(blp, 403, body=True)
    def post(self, body):
        """Submit up to DIA3_BATCH_MAX_JOBS jobs in one request, each answered on its own as
        ``POST /jobs`` would answer it (``items[].status``): one bad job never fails the
        others. Every job counts against the key's rate limit, and those past it get 429. An
        ``Idempotency-Key`` header gives each job without a key of its own the key
        ``<header>/<index>``, so a repeated request returns the jobs of the first. When jobs
        were refused for now (429, 503), ``Retry-After`` says when to send them again"""
        outcomes = batch.submit_many(principal(), body["jobs"],
                                     _loader(idempotency_key(None)), ratelimit.budget)
        items, waits = [], []
        for outcome in outcomes:
            item = {"index": outcome.index, "status": outcome.status}
            if outcome.job is not None:
                item["job"] = outcome.job.to_dict()
            else:
                item["error"], headers = item_error(outcome.error)  # type: ignore[arg-type]
                waits += [int(headers["Retry-After"])] if "Retry-After" in headers else []
            items.append(item)
        answer = {"items": items, "created": sum(o.created for o in outcomes),
                  "replayed": sum(o.job is not None and not o.created for o in outcomes),
                  "failed": sum(o.error is not None for o in outcomes)}
        # jobs refused for now (rate limit, backpressure) may be sent again after this
        return answer, 200, ({"Retry-After": str(max(waits))} if waits else {})


def _loader(batch_key: str | None) -> batch.Loader:
    """Each job as the body of ``POST /jobs``; without a key of its own, one made of the
    request's ``Idempotency-Key`` (if any) and the job's index."""
    schema = JobSubmitSchema()

    def load(index: int, item: object) -> dict:
        body = schema.load(item)  # type: ignore[arg-type]
        if body["idempotency_key"] is None and batch_key is not None:
            body["idempotency_key"] = f"{batch_key}/{index}"
        return body
    return load


@blp.route("/<string:job_id>")
class JobById(MethodView):
    @blp.response(200, JobDetailSchema)
    @errors(blp, 404)
    @to_job(200)
    def get(self, job_id):
        """A job with its params and per-step progress"""
        job = service.get(principal(), job_id, with_params=True)
        out = job.to_dict()
        out["steps"] = service.steps(principal(), job_id)
        return out

    @blp.response(204)
    @errors(blp, 403, 404, 409)
    def delete(self, job_id):
        """Delete a finished job and its result"""
        service.delete(principal(), job_id)


@blp.route("/<string:job_id>/cancel")
class JobCancel(MethodView):
    @blp.response(200, JobSchema)
    @errors(blp, 403, 404, 409)
    @to_job(200)
    def post(self, job_id):
        """Cancel a queued or running job"""
        return service.cancel(principal(), job_id).to_dict()


@blp.route("/<string:job_id>/retry")
class JobRetry(MethodView):
    @blp.response(202, JobSchema)
    @errors(blp, 403, 404, 409)
    @to_job(202)
    def post(self, job_id):
        """Run a failed or cancelled job again from the steps it did not finish (409 for a
        job that is queued, running or succeeded)"""
        return service.retry(principal(), job_id).to_dict()


@blp.route("/<string:job_id>/result")
class JobResult(MethodView):
    @blp.response(200, ResultSchema)
    @errors(blp, 404, 409)
    def get(self, job_id):
        """The result of a succeeded job (409 while it is not)"""
        job, result = service.result(principal(), job_id)
        return {"job_id": job.id, "workflow": job.workflow, "result": result}

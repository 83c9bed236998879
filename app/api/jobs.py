"""``/api/v1/jobs``: submit, list, read, cancel and delete jobs."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from app import service
from app.api.idempotency import idempotency_key
from app.api.json_body import Blueprint
from app.api.links import to_job
from app.api.middleware import principal
from app.api.pages import page_body, page_limit
from app.api.responses import errors
from app.api.schemas import (
    JobDetailSchema,
    JobListQuerySchema,
    JobPageSchema,
    JobSchema,
    JobSubmitSchema,
    ResultSchema,
)
from app.api.workflows import submission_examples

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

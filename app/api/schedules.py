"""``/api/v1/schedules``: workflows run on a cron expression or an interval by the beat."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from app.api.idempotency import idempotency_key
from app.api.json_body import Blueprint
from app.api.links import to_job, to_schedule
from app.api.middleware import principal
from app.api.pages import page_body, page_limit
from app.api.responses import errors
from app.api.schedule_schemas import (
    ScheduleCreateSchema,
    ScheduleListQuerySchema,
    SchedulePageSchema,
    SchedulePatchSchema,
    ScheduleSchema,
)
from app.api.schemas import JobSchema
from app.schedules import service

blp = Blueprint("schedules", __name__, url_prefix="/api/v1/schedules",
                description="Schedules: a workflow run on a cron expression or an interval, "
                            "each run an ordinary job")


@blp.route("")
class Schedules(MethodView):
    @blp.arguments(ScheduleListQuerySchema, location="query")
    @blp.response(200, SchedulePageSchema)
    @errors(blp, 422)
    @to_schedule(200, at="$response.body#/items/0/id")
    def get(self, query):
        """List the tenant's schedules, newest first (cursor pagination)"""
        limit = page_limit(query["limit"])
        page = service.list_schedules(principal(), limit, query["cursor"],
                                      query["all_tenants"])
        return page_body(page)

    @blp.arguments(ScheduleCreateSchema)
    @blp.response(201, ScheduleSchema)
    @errors(blp, 403, body=True)
    @to_schedule(201)
    def post(self, body):
        """Create a schedule; its params are checked like a job's (422 with field paths)"""
        schedule = service.create(principal(), body)
        location = url_for("schedules.ScheduleById", schedule_id=schedule.id)
        return schedule.to_dict(), 201, {"Location": location}


@blp.route("/<string:schedule_id>")
class ScheduleById(MethodView):
    @blp.response(200, ScheduleSchema)
    @errors(blp, 404)
    @to_schedule(200)
    def get(self, schedule_id):
        """A schedule with its next tick and what its ticks did"""
        return service.get(principal(), schedule_id).to_dict()

    @blp.arguments(SchedulePatchSchema)
    @blp.response(200, ScheduleSchema)
    @errors(blp, 403, 404, body=True)
    @to_schedule(200)
    def patch(self, body, schedule_id):
        """Change any field (``enabled``: pause or resume); a change of cron, interval or
        time zone, or a resume, restarts its ticks from now"""
        return service.update(principal(), schedule_id, body).to_dict()

    @blp.response(204)
    @errors(blp, 403, 404)
    def delete(self, schedule_id):
        """Delete a schedule (the jobs it made stay)"""
        service.delete(principal(), schedule_id)


@blp.route("/<string:schedule_id>/run")
class ScheduleRun(MethodView):
    @blp.response(202, JobSchema)
    @blp.alt_response(200, schema=JobSchema, description="Existing job (Idempotency-Key)")
    @errors(blp, 403, 404, 422)
    @to_job(202)
    def post(self, schedule_id):
        """Run the schedule's workflow now, as an ordinary job with its schedule_id
        (whatever its overlap rule)"""
        job, created = service.run_now(principal(), schedule_id, idempotency_key(None))
        location = url_for("jobs.JobById", job_id=job.id)
        return job.to_dict(), (202 if created else 200), {"Location": location}

"""Request and response schemas of ``/api/v1/schedules``."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import (
    CursorQuerySchema,
    EpochDateTime,
    WithParamsSchema,
    cursor_page,
    params_field,
    workflow_field,
)
from app.schedules.store import CATCHUPS, OVERLAPS

INTERVAL_MAX = 366 * 86400


def cron_field(**kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(min=9, max=120), **kwargs,
                         metadata={"description": "Cron expression of 5 fields (minute hour "
                                                  "day-of-month month day-of-week) in "
                                                  "timezone; or give interval_seconds",
                                   "example": "0 6 * * 1-5"})


def interval_field(**kwargs) -> fields.Integer:
    return fields.Integer(allow_none=True, validate=validate.Range(min=1, max=INTERVAL_MAX),
                          **kwargs, metadata={
        "description": "Seconds between runs, at least DIA3_SCHEDULE_MIN_INTERVAL (which also "
                       "bounds a cron expression's shortest gap); or give cron"})


TIMEZONE = {"description": "IANA time zone of the cron expression", "example": "Europe/Berlin"}
OVERLAP = {"description": "skip: a tick makes no job while the schedule's previous run is "
                          "still queued or running; allow: it always does"}
CATCHUP = {"description": "After the beat was down: one runs one job for the ticks missed in "
                          "a row, none runs none of them"}


class ScheduleCreateSchema(WithParamsSchema):
    cron = cron_field(load_default=None)
    interval_seconds = interval_field(load_default=None)
    timezone = fields.String(load_default="UTC", validate=validate.Length(min=1, max=64),
                             metadata=TIMEZONE)
    enabled = fields.Boolean(load_default=True)
    overlap = fields.String(load_default="skip", validate=validate.OneOf(OVERLAPS),
                            metadata=OVERLAP)
    catchup = fields.String(load_default="one", validate=validate.OneOf(CATCHUPS),
                            metadata=CATCHUP)
    name = fields.String(load_default="", validate=validate.Length(max=100))


class SchedulePatchSchema(Schema):
    """Any field of a schedule; the result is checked as a whole (params against the
    workflow, one of cron and interval_seconds)."""

    workflow = workflow_field()
    params = params_field()
    cron = cron_field()
    interval_seconds = interval_field()
    timezone = fields.String(validate=validate.Length(min=1, max=64), metadata=TIMEZONE)
    enabled = fields.Boolean(metadata={"description": "false pauses the schedule, true "
                                                      "resumes it from the next tick on"})
    overlap = fields.String(validate=validate.OneOf(OVERLAPS), metadata=OVERLAP)
    catchup = fields.String(validate=validate.OneOf(CATCHUPS), metadata=CATCHUP)
    name = fields.String(validate=validate.Length(max=100))


class ScheduleSchema(Schema):
    id = fields.String()
    name = fields.String()
    tenant = fields.String()
    owner = fields.String(metadata={"description": "Id of the API key that created it (its "
                                                   "runs are submitted as this key)"})
    workflow = fields.String()
    params = fields.Dict()
    cron = fields.String(allow_none=True)
    interval_seconds = fields.Integer(allow_none=True)
    timezone = fields.String()
    enabled = fields.Boolean()
    overlap = fields.String(metadata={"enum": list(OVERLAPS)})
    catchup = fields.String(metadata={"enum": list(CATCHUPS)})
    created_at = EpochDateTime()
    updated_at = EpochDateTime()
    next_run_at = EpochDateTime(allow_none=True, metadata={
        "description": "The next tick (null while paused)"})
    last_run_at = EpochDateTime(allow_none=True, metadata={
        "description": "The last tick that made a job"})
    last_job_id = fields.String(allow_none=True)
    last_error = fields.String(allow_none=True, metadata={
        "description": "Why the last refused run was refused"})
    runs = fields.Integer(metadata={"description": "Ticks that made their job"})
    skipped_overlap = fields.Integer(metadata={
        "description": "Ticks skipped because the previous run was still active"})
    skipped_missed = fields.Integer(metadata={
        "description": "Ticks missed while the beat was down that made no job"})
    errors = fields.Integer(metadata={"description": "Ticks whose job was refused"})


SchedulePageSchema = cursor_page(ScheduleSchema, "SchedulePageSchema")


class ScheduleListQuerySchema(CursorQuerySchema):
    all_tenants = fields.Boolean(load_default=False, metadata={
        "description": "Admins only: list every tenant's schedules"})

"""Request and response schemas of the REST API (they also make the OpenAPI spec)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask_smorest.error_handler import ErrorSchema
from marshmallow import Schema, ValidationError, fields, validate
from marshmallow.error_store import merge_errors

from app.audit import decode_cursor as audit_cursor
from app.auth.keys import TENANT_PATTERN
from app.jobs.model import STATES
from app.jobs.store import decode_cursor
from app.service import body_errors
from app.settings import get_settings


class EpochDateTime(fields.DateTime):
    """Stored as epoch seconds, shown as ISO 8601 UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return datetime.fromtimestamp(float(value), tz=UTC).isoformat()


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # audit entry ids are milliseconds since then


def at_most_page_size_max(value: int) -> None:
    """Page sizes are checked against the setting when the request comes in."""
    limit = get_settings().page_size_max
    if value > limit:
        raise ValidationError(f"Must be at most {limit} (DIA3_PAGE_SIZE_MAX).")


def page_size_field(hard_max: int | None = None) -> fields.Integer:
    """``limit`` of a list endpoint: 1 to DIA3_PAGE_SIZE_MAX (and ``hard_max``), default 50."""
    return fields.Integer(
        load_default=50, validate=[validate.Range(min=1, max=hard_max), at_most_page_size_max],
        metadata={"description": "Page size: 1 to DIA3_PAGE_SIZE_MAX (default 200)"})


def cursor_field(decode: Callable[[str], object]) -> fields.String:
    """``cursor`` of a list endpoint: the ``next_cursor`` of the page before, which
    ``decode`` (the reader of the cursors its endpoint issues) must accept."""
    def issued(value: str) -> None:
        try:
            decode(value)
        except ValueError:
            raise ValidationError("Not a valid cursor.") from None
    return fields.String(load_default=None, validate=[validate.Length(max=500), issued],
                         metadata={"description": "next_cursor of the previous page"})


class CursorQuerySchema(Schema):
    """``limit`` and ``cursor`` of a list paged by the stores' cursors."""

    limit = page_size_field()
    cursor = cursor_field(decode_cursor)


def cursor_page(item: type[Schema], name: str) -> type[Schema]:
    """The schema ``name`` of a page of ``item``: ``{items, next_cursor}`` (null at the end)."""
    return Schema.from_dict({"items": fields.List(fields.Nested(item)),
                             "next_cursor": fields.String(allow_none=True)}, name=name)


def workflow_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=100), **kwargs,
                         metadata={"description": "Name of a workflow from /workflows"})


def params_field(**kwargs: Any) -> fields.Dict:
    return fields.Dict(**kwargs, metadata={
        "description": "Parameters, validated against the workflow's params schema: "
                       "params_schema in GET /workflows, <Workflow>Params in this spec's "
                       "components (e.g. MonteCarloParams)"})


class WithParamsSchema(Schema):
    """A body with ``workflow`` and ``params``: when another field is wrong, its workflow and
    params are checked too, so that one answer lists every error (a valid body's are checked
    when it is used)."""

    workflow = workflow_field(required=True)
    params = params_field(required=True)

    def handle_error(self, error: ValidationError, data: Any, **kwargs: Any) -> None:
        extra = body_errors(data)
        if extra:
            raise ValidationError(merge_errors(error.messages, extra)) from None


class JobSubmitSchema(WithParamsSchema):
    idempotency_key = fields.String(
        load_default=None, validate=[validate.Length(min=1, max=200),
                                     validate.Regexp(r"^[\x21-\x7e]+$",
                                                     error="Printable ASCII without spaces.")],
        metadata={"description": "Resubmitting with the same key returns the same job"})


def at_most_batch_max_jobs(value: list) -> None:
    """The size of a bulk submission is checked against the setting when it comes in."""
    limit = get_settings().batch_max_jobs
    if len(value) > limit:
        raise ValidationError(f"At most {limit} jobs per request (DIA3_BATCH_MAX_JOBS); got "
                              f"{len(value)}.")


class Unloaded(fields.Nested):
    """Documented as its nested schema but loaded as it came: each job of a bulk submission
    is validated on its own, so that a bad one is refused alone."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return value


class JobBatchSchema(Schema):
    jobs = fields.List(
        Unloaded(JobSubmitSchema, allow_none=True), required=True,
        validate=[validate.Length(min=1), at_most_batch_max_jobs],
        metadata={"description": "1 to DIA3_BATCH_MAX_JOBS (default 1000) job submissions, "
                                 "each as the body of POST /jobs"})


class ErrorInfoSchema(Schema):
    type = fields.String()
    message = fields.String()
    step = fields.String(allow_none=True)


class ProgressSchema(Schema):
    current_step = fields.String(allow_none=True)
    done = fields.Integer()
    total = fields.Integer()
    fraction = fields.Float()


class JobSchema(Schema):
    id = fields.String()
    workflow = fields.String()
    state = fields.String(metadata={"enum": list(STATES)})
    tenant = fields.String()
    owner = fields.String(metadata={"description": "Id of the API key that submitted it"})
    created_at = EpochDateTime()
    updated_at = EpochDateTime()
    started_at = EpochDateTime(allow_none=True)
    finished_at = EpochDateTime(allow_none=True)
    heartbeat_at = EpochDateTime(allow_none=True)
    progress = fields.Nested(ProgressSchema)
    error = fields.Nested(ErrorInfoSchema, allow_none=True)
    attempts = fields.Integer()
    idempotency_key = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    result_ref = fields.Dict(allow_none=True)
    tasks = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "Celery task id of each step (look them up in Flower)"})
    usage = fields.Dict(allow_none=True)
    schedule_id = fields.String(allow_none=True, metadata={
        "description": "The schedule that made the job (null: submitted directly)"})
    scheduled_for = EpochDateTime(allow_none=True, metadata={
        "description": "The schedule's tick the job was made for (null: run on request)"})
    parent_id = fields.String(allow_none=True, metadata={
        "description": "The pipeline whose stage this job is (null: a job of its own)"})


class JobDetailSchema(JobSchema):
    params = fields.Dict(allow_none=True)
    steps = fields.Dict(metadata={"description": "Per-step state, deliveries and timings"})


JobPageSchema = cursor_page(JobSchema, "JobPageSchema")


class JobListQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(STATES), load_default=None)
    workflow = fields.String(validate=validate.Length(min=1, max=100), load_default=None)
    limit = page_size_field()
    cursor = cursor_field(decode_cursor)
    all_tenants = fields.Boolean(load_default=False, metadata={
        "description": "Admins only: list every tenant's jobs"})
    id_prefix = fields.String(
        load_default=None, validate=validate.Regexp(
            r"^[0-9a-f]{1,32}$", error="1 to 32 lowercase hexadecimal characters."),
        metadata={"description": "Only jobs whose id starts with this (how a short id is "
                                 "resolved); these are listed in id order, not newest first"})
    schedule_id = fields.String(
        load_default=None, validate=validate.Regexp(
            r"^[0-9a-f]{32}$", error="A schedule id: 32 lowercase hexadecimal characters."),
        metadata={"description": "Only the jobs this schedule made"})
    parent_id = fields.String(
        load_default=None, validate=validate.Regexp(
            r"^[0-9a-f]{32}$", error="A job id: 32 lowercase hexadecimal characters."),
        metadata={"description": "Only the child jobs of this job (a pipeline's stages)"})


class ResultSchema(Schema):
    job_id = fields.String()
    workflow = fields.String()
    result = fields.Raw()


class WorkflowExampleSchema(Schema):
    summary = fields.String()
    params = fields.Dict(metadata={"description": "Complete params that work as they are"})


class WorkflowSchema(Schema):
    name = fields.String()
    description = fields.String()
    category = fields.String()
    queue = fields.String()
    params_schema = fields.Dict(metadata={
        "description": "OpenAPI 3.0 schema of the params (also in the spec's components as "
                       "<Workflow>Params); its $refs point into its own components"})
    examples = fields.List(fields.Nested(WorkflowExampleSchema), metadata={
        "description": "At least one complete example of the params"})


class KeyCreateSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(("admin", "analyst", "viewer")))
    tenant = fields.String(required=True, validate=validate.Regexp(
        TENANT_PATTERN, error="1-64 letters, digits, '-' or '_'."))
    name = fields.String(load_default="", validate=validate.Length(max=100))
    expires_in_days = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=3650),
        metadata={"description": "Days until the key stops working; omitted or null: never"})


class KeySchema(Schema):
    key_id = fields.String()
    role = fields.String()
    tenant = fields.String()
    name = fields.String()
    created_at = EpochDateTime()
    expires_at = EpochDateTime(allow_none=True, metadata={"description": "null: never"})
    last_used_at = EpochDateTime(allow_none=True, metadata={
        "description": "Last authenticated request, to the minute; null: never used"})
    key = fields.String(metadata={"description": "Shown once, at creation"})


class AuditQuerySchema(Schema):
    actor = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                          metadata={"description": "Key id of whoever acted (`cli`: the "
                                                   "operator's CLI, `retention`: expiry)"})
    tenant = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                           metadata={"description": "The actor's tenant"})
    action = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                           metadata={"description": "e.g. job.submit, key.rotate"})
    target = fields.String(load_default=None, validate=validate.Length(min=1, max=300),
                           metadata={"description": "e.g. job:<id>, key:<id>, "
                                                    "collection:<name>"})
    outcome = fields.String(load_default=None, validate=validate.OneOf(("ok", "denied",
                                                                         "error")))
    since = fields.AwareDateTime(load_default=None, default_timezone=UTC,
                                 validate=validate.Range(min=EPOCH), metadata={
        "description": "Only entries at or after this time (ISO 8601; UTC if no zone)"})
    until = fields.AwareDateTime(load_default=None, default_timezone=UTC,
                                 validate=validate.Range(min=EPOCH), metadata={
        "description": "Only entries at or before this time"})
    limit = page_size_field()
    cursor = cursor_field(audit_cursor)


class AuditEntrySchema(Schema):
    id = fields.String(metadata={"description": "Stream id (its first part is the time in ms)"})
    time = EpochDateTime()
    actor = fields.String()
    tenant = fields.String()
    action = fields.String()
    target = fields.String()
    outcome = fields.String(metadata={"enum": ["ok", "denied", "error"]})
    status = fields.Integer(allow_none=True, metadata={
        "description": "HTTP status of a denied or failed action"})
    error = fields.String(allow_none=True, metadata={"description": "Error type"})
    request_id = fields.String(allow_none=True)
    client = fields.String(allow_none=True, metadata={
        "description": "Client address of the API request (through DIA3_TRUSTED_PROXIES); "
                       "null for the CLI, MCP and the workers"})
    role = fields.String(allow_none=True, metadata={
        "description": "Role of the actor's key (none for a refused key)"})
    detail = fields.Dict()


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    next_cursor = fields.String(allow_none=True, metadata={
        "description": "Pass as cursor for older entries; null at the end. A page with a "
                       "sparse filter may be shorter than limit and still have a cursor."})


class TenantCountsSchema(Schema):
    jobs = fields.Integer()
    schedules = fields.Integer()
    webhooks = fields.Integer()
    keys = fields.Integer()
    collections = fields.Integer(metadata={"description": "Knowledge-base collections"})


class TenantErasureRequestSchema(Schema):
    tenant = fields.String()
    confirm = fields.String(metadata={
        "description": "Pass as confirm to DELETE /tenants/{tenant} within 10 minutes; "
                       "works once, only with the key that asked for it"})
    expires_at = EpochDateTime()
    will_erase = fields.Nested(TenantCountsSchema)


class TenantEraseQuerySchema(Schema):
    confirm = fields.String(load_default=None, validate=validate.Length(max=200), metadata={
        "description": "The token of POST /tenants/{tenant}/erasure"})


class TenantErasureReportSchema(Schema):
    tenant = fields.String(metadata={"description": "The erased tenant's pseudonym, as the "
                                                    "audit log names it from now on"})
    jobs = fields.Integer()
    schedules = fields.Integer()
    webhooks = fields.Integer(metadata={"description": "Webhooks deleted, with their "
                                                       "deliveries"})
    keys = fields.Integer()
    collections = fields.Integer(allow_none=True)
    llm_cache_entries = fields.Integer()
    rate_limit_counters = fields.Integer()
    audit_entries_pseudonymised = fields.Integer()
    chroma_vacuum = fields.String(metadata={"description": "done, or why not"})
    redis_files = fields.String(metadata={
        "description": "Whether Redis' append-only file and snapshot were rewritten"})


class BatchItemSchema(Schema):
    index = fields.Integer(metadata={"description": "Position of the job in the request"})
    status = fields.Integer(metadata={
        "description": "What POST /jobs would have answered: 202 created, 200 the existing job "
                       "of its idempotency key, else the status of its error"})
    job = fields.Nested(JobSchema, metadata={"description": "With status 202 or 200"})
    error = fields.Nested(ErrorSchema, metadata={
        "description": "Otherwise: DIA3's error body; field paths are within the item"})


class JobBatchResultSchema(Schema):
    items = fields.List(fields.Nested(BatchItemSchema), metadata={
        "description": "One per job of the request, in its order"})
    created = fields.Integer(metadata={"description": "Jobs created"})
    replayed = fields.Integer(metadata={"description": "Existing jobs returned for their "
                                                       "idempotency keys"})
    failed = fields.Integer(metadata={"description": "Items refused"})

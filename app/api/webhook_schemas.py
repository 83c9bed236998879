"""Request and response schemas of ``/api/v1/webhooks``."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import CursorQuerySchema, EpochDateTime, cursor_page
from app.webhooks.store import DELIVERY_STATES, EVENT_TYPES

URL = {"description": "http(s) URL that receives the events (POST, JSON, signed); its host "
                      "must resolve to public addresses only (DIA3_WEBHOOK_ALLOW_PRIVATE)",
       "example": "https://example.com/hooks/dia3"}
EVENTS = {"description": "The job events to send: " + ", ".join(EVENT_TYPES),
          "example": ["job.succeeded", "job.failed"]}


def url_field(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=8, max=2000), metadata=URL, **kwargs)


def events_field(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)),
                       validate=validate.Length(min=1, max=len(EVENT_TYPES)),
                       metadata=EVENTS, **kwargs)


class WebhookCreateSchema(Schema):
    url = url_field(required=True)
    events = events_field(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=200))


class WebhookPatchSchema(Schema):
    url = url_field()
    events = events_field()
    description = fields.String(validate=validate.Length(max=200))


class WebhookSchema(Schema):
    id = fields.String()
    tenant = fields.String()
    owner = fields.String(metadata={"description": "Id of the API key that created it"})
    url = fields.String()
    events = fields.List(fields.String())
    description = fields.String()
    created_at = EpochDateTime()
    updated_at = EpochDateTime()
    previous_secret_until = EpochDateTime(allow_none=True, metadata={
        "description": "Until then the secret before the last rotation signs too"})


class WebhookWithSecretSchema(WebhookSchema):
    secret = fields.String(metadata={
        "description": "whsec_<base64>: the signing secret, shown only in this answer"})


WebhookPageSchema = cursor_page(WebhookSchema, "WebhookPageSchema")


class WebhookListQuerySchema(CursorQuerySchema):
    all_tenants = fields.Boolean(load_default=False, metadata={
        "description": "Admins only: list every tenant's webhooks"})


class DeliverySchema(Schema):
    id = fields.String()
    message_id = fields.String(metadata={"description": "The webhook-id header of every "
                                                        "attempt (receivers deduplicate by it)"})
    webhook_id = fields.String()
    job_id = fields.String()
    event_type = fields.String()
    event_id = fields.String(metadata={"description": "The event's id in the tenant's stream"})
    state = fields.String(metadata={"enum": list(DELIVERY_STATES)})
    attempts = fields.Integer()
    last_status = fields.Integer(allow_none=True, metadata={
        "description": "HTTP status of the last attempt (null: no answer, see last_error)"})
    last_error = fields.String(allow_none=True)
    created_at = EpochDateTime()
    last_attempt_at = EpochDateTime(allow_none=True)
    next_attempt_at = EpochDateTime(allow_none=True, metadata={
        "description": "null while it waits for an earlier event of its job, or once done"})


DeliveryPageSchema = cursor_page(DeliverySchema, "DeliveryPageSchema")


class DeliveryListQuerySchema(CursorQuerySchema):
    """A webhook's deliveries, newest first."""

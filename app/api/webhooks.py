"""``/api/v1/webhooks``: receivers of signed job events (Standard Webhooks)."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView

from app.api.json_body import Blueprint
from app.api.links import to_delivery, to_webhook
from app.api.middleware import principal
from app.api.pages import page_body, page_limit
from app.api.responses import errors
from app.api.webhook_schemas import (
    DeliveryListQuerySchema,
    DeliveryPageSchema,
    DeliverySchema,
    WebhookCreateSchema,
    WebhookListQuerySchema,
    WebhookPageSchema,
    WebhookPatchSchema,
    WebhookSchema,
    WebhookWithSecretSchema,
)
from app.webhooks import service

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks",
                description="Webhooks: job events POSTed to a URL, signed per Standard "
                            "Webhooks, retried with backoff")


@blp.route("")
class Webhooks(MethodView):
    @blp.arguments(WebhookListQuerySchema, location="query")
    @blp.response(200, WebhookPageSchema)
    @errors(blp, 422)
    @to_webhook(200, at="$response.body#/items/0/id")
    def get(self, query):
        """List the tenant's webhooks, newest first (cursor pagination; no secrets)"""
        page = service.list_webhooks(principal(), page_limit(query["limit"]), query["cursor"],
                                     query["all_tenants"])
        return page_body(page)

    @blp.arguments(WebhookCreateSchema)
    @blp.response(201, WebhookWithSecretSchema)
    @errors(blp, 403, body=True)
    @to_webhook(201)
    def post(self, body):
        """Create a webhook; its signing secret is in this answer only"""
        hook, secret = service.create(principal(), body)
        location = url_for("webhooks.WebhookById", webhook_id=hook.id)
        return {**hook.to_dict(), "secret": secret}, 201, {"Location": location}


@blp.route("/<string:webhook_id>")
class WebhookById(MethodView):
    @blp.response(200, WebhookSchema)
    @errors(blp, 404)
    @to_webhook(200)
    def get(self, webhook_id):
        """A webhook (never its secret)"""
        return service.get(principal(), webhook_id).to_dict()

    @blp.arguments(WebhookPatchSchema)
    @blp.response(200, WebhookSchema)
    @errors(blp, 403, 404, body=True)
    @to_webhook(200)
    def patch(self, body, webhook_id):
        """Change its url, events or description"""
        return service.update(principal(), webhook_id, body).to_dict()

    @blp.response(204)
    @errors(blp, 403, 404)
    def delete(self, webhook_id):
        """Delete a webhook and its deliveries"""
        service.delete(principal(), webhook_id)


@blp.route("/<string:webhook_id>/rotate-secret")
class WebhookSecretRotation(MethodView):
    @blp.response(200, WebhookWithSecretSchema)
    @errors(blp, 403, 404)
    @to_webhook(200)
    def post(self, webhook_id):
        """A new signing secret, shown in this answer only; the old one keeps signing too
        for DIA3_WEBHOOK_SECRET_GRACE_SECONDS"""
        hook, secret = service.rotate_secret(principal(), webhook_id)
        return {**hook.to_dict(), "secret": secret}


@blp.route("/<string:webhook_id>/deliveries")
class WebhookDeliveries(MethodView):
    @blp.arguments(DeliveryListQuerySchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    @errors(blp, 404, 422)
    @to_delivery(200)
    def get(self, query, webhook_id):
        """The webhook's deliveries, newest first: state, attempts, last answer, next attempt"""
        page = service.deliveries(principal(), webhook_id, page_limit(query["limit"]),
                                  query["cursor"])
        return page_body(page)


@blp.route("/<string:webhook_id>/deliveries/<string:delivery_id>/redeliver")
class WebhookRedelivery(MethodView):
    @blp.response(202, DeliverySchema)
    @errors(blp, 403, 404, 409)
    def post(self, webhook_id, delivery_id):
        """Deliver a finished delivery again (same webhook-id, after its job's pending ones)"""
        return service.redeliver(principal(), webhook_id, delivery_id).to_dict()

"""The REST API (flask-smorest, OpenAPI 3) — ``create_app`` is the factory."""

from __future__ import annotations

from apispec.ext.marshmallow import resolver
from flask import Flask
from flask_smorest import Api

from app.api import (
    audit,
    cors,
    docs_assets,
    errors,
    events,
    health,
    jobs,
    json_body,
    keys,
    knowledge,
    links,
    middleware,
    ratelimit,
    schedules,
    tenants,
    webhooks,
    workflows,
)
from app.api.spec import Plugin
from app.extensions import key_store
from app.redis_client import redis_url
from app.settings import get_settings
from app.workflows.registry import all_workflows

API_VERSION = "1.0.0"


class DIA3Api(Api):
    """flask-smorest's Api with DIA3's error shape for HTTP errors. Every operation lists
    the errors it can answer (no catch-all "default"), so the spec says what to expect."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error):
        return errors.respond(error)


def bootstrap_admin() -> None:
    key = get_settings().admin_api_key
    if key:
        key_store().ensure(key, role="admin", tenant="default", key_id="admin",
                           name="bootstrap admin (DIA3_ADMIN_API_KEY)")


def create_app() -> Flask:
    settings = get_settings()
    app = Flask("dia3")
    app.json = json_body.JSONProvider(app)
    app.config.update(
        API_TITLE="DIA3 — Distributed Intelligence Analysis",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=docs_assets.URL,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
    )
    app.config[cors.CONFIG_KEY] = cors.parse_origins(settings.cors_origins)
    api = DIA3Api(app, spec_kwargs={"marshmallow_plugin": Plugin(),
                                    "extra_plugins": [links.OperationIds()], "info": {
        "description": "Submit analysis jobs, follow their progress and read their results. "
                       "Authenticate with an API key in `X-API-Key` or `Authorization: "
                       "Bearer`."}})
    api.spec.components.security_scheme(
        "ApiKeyHeader", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
    api.spec.components.security_scheme("Bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"ApiKeyHeader": []}, {"Bearer": []}]
    for workflow in all_workflows():  # the params of each, as a named schema of the spec
        api.spec.components.schema(resolver(workflow.schema), schema=workflow.schema)
    for blp in (jobs.blp, events.blp, workflows.blp, schedules.blp, keys.blp, knowledge.blp,
                webhooks.blp, audit.blp, tenants.blp):
        api.register_blueprint(blp)
    app.register_blueprint(health.bp)
    app.register_blueprint(docs_assets.bp)
    middleware.install(app)
    ratelimit.install(app, redis_url())  # after authentication: limits are per key
    errors.register(app)
    try:
        bootstrap_admin()
    except Exception:  # Redis may come up later; keys then bootstrap on the next start
        app.logger.warning("could not bootstrap the admin key (Redis unreachable)")
    return app

"""``/api/v1/keys``: API key management for admins."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from app.api.middleware import principal
from app.api.schemas import KeyCreateSchema, KeySchema
from app.context import key_store
from app.service import Forbidden

blp = Blueprint("keys", __name__, url_prefix="/api/v1/keys", description="API keys (admin)")


def require_admin() -> None:
    if not principal().is_admin:
        raise Forbidden("only admin keys may manage keys")


@blp.route("")
class Keys(MethodView):
    @blp.response(200, KeySchema(many=True))
    def get(self):
        """List keys (never their secrets)"""
        require_admin()
        return key_store().list()

    @blp.arguments(KeyCreateSchema)
    @blp.response(201, KeySchema)
    def post(self, body):
        """Create a key; the key itself is returned once"""
        require_admin()
        key, p = key_store().create(body["role"], body["tenant"], name=body["name"])
        return {"key_id": p.key_id, "role": p.role, "tenant": p.tenant, "name": p.name,
                "key": key}


@blp.route("/<string:key_id>")
class KeyById(MethodView):
    @blp.response(204)
    def delete(self, key_id):
        """Revoke a key; effective on the next request on every replica"""
        require_admin()
        if not key_store().revoke(key_id):
            abort(404, message=f"No key {key_id}.")

"""``/api/v1/keys``: API key management for admins."""

from __future__ import annotations

import time

from flask.views import MethodView

from app.api.json_body import Blueprint
from app.api.links import to_key
from app.api.middleware import principal
from app.api.responses import errors
from app.api.schemas import KeyCreateSchema, KeySchema
from app.auth import admin
from app.extensions import key_store

blp = Blueprint("keys", __name__, url_prefix="/api/v1/keys", description="API keys (admin)")


def require_admin() -> None:
    admin.require_admin(principal())


@blp.route("")
class Keys(MethodView):
    @blp.response(200, KeySchema(many=True))
    @errors(blp, 403)
    def get(self):
        """List keys (never their secrets)"""
        require_admin()
        return key_store().list()

    @blp.arguments(KeyCreateSchema)
    @blp.response(201, KeySchema)
    @errors(blp, 403, body=True)
    @to_key(201)
    def post(self, body):
        """Create a key; the key itself is returned once"""
        days = body["expires_in_days"]
        expires_at = time.time() + days * 86400 if days else None
        key, p = admin.create_key(principal(), body["role"], body["tenant"], name=body["name"],
                                  expires_at=expires_at)
        return shown_once(key, p.key_id)


def shown_once(key: str, key_id: str) -> dict:
    """A key's description with its secret, the one time the secret is returned."""
    return {**key_store().describe(key_id), "key": key}


@blp.route("/<string:key_id>")
class KeyById(MethodView):
    @blp.response(204)
    @errors(blp, 403, 404)
    def delete(self, key_id):
        """Revoke a key; effective on the next request on every replica"""
        admin.revoke_key(principal(), key_id)


@blp.route("/<string:key_id>/rotate")
class KeyRotation(MethodView):
    @blp.response(200, KeySchema)
    @errors(blp, 403, 404)
    @to_key(200)
    def post(self, key_id):
        """Give a key a new secret (same id, role, tenant and expiry); the old secret is
        refused from the next request on, on every replica. The new key is returned once."""
        return shown_once(admin.rotate_key(principal(), key_id)[0], key_id)

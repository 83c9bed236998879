"""``/api/v1/audit``: the audit log, newest first, for admins (read-only: entries are never
changed or deleted through any API)."""

from __future__ import annotations

from flask.views import MethodView

from app import audit
from app.api.json_body import Blueprint
from app.api.middleware import principal
from app.api.pages import page_body, page_limit
from app.api.responses import errors
from app.api.schemas import AuditPageSchema, AuditQuerySchema
from app.errors import Forbidden

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                description="Audit log of every change, refused and failed ones included "
                            "(admin)")


@blp.route("")
class AuditLog(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditPageSchema)
    @errors(blp, 403, 422)
    def get(self, query):
        """Audit entries, newest first, filtered (cursor pagination)"""
        if not principal().is_admin:
            raise Forbidden("only admin keys may read the audit log")
        cursor = query.pop("cursor")
        since, until = query.pop("since"), query.pop("until")
        limit = page_limit(query.pop("limit"))
        page = audit.query(**query, since=since.timestamp() if since else None,
                           until=until.timestamp() if until else None, limit=limit,
                           cursor=cursor)
        return page_body(page)

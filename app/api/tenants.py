"""``/api/v1/tenants/<tenant>``: a tenant's export and erasure, for admins."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import send_file
from flask.views import MethodView

from app.api.json_body import Blueprint
from app.api.middleware import principal
from app.api.responses import errors
from app.api.schemas import (
    TenantEraseQuerySchema,
    TenantErasureReportSchema,
    TenantErasureRequestSchema,
)
from app.tenants import service

blp = Blueprint("tenants", __name__, url_prefix="/api/v1/tenants",
                description="A tenant's data as a whole: export and erasure (admin)")
ARCHIVE = {"200": {"description": "The tenant's archive (gzip tar with manifest.json)",
                   "content": {"application/gzip": {"schema": {"type": "string",
                                                               "format": "binary"}}}}}


@blp.route("/<string:tenant>/export")
class TenantExport(MethodView):
    @blp.doc(responses=ARCHIVE)
    @errors(blp, 403, 422)
    def get(self, tenant):
        """Every job (params, steps, result), collection (documents), key (metadata) and
        audit entry of a tenant, as one archive"""
        scratch = Path(tempfile.mkdtemp(prefix="dia3-export-"))
        path = scratch / f"{tenant}.tar.gz"
        try:
            service.export_tenant(principal(), tenant, path)
            handle = open(path, "rb")
        finally:
            path.unlink(missing_ok=True)  # the open handle keeps the data until sent
            os.rmdir(scratch)
        return send_file(handle, mimetype="application/gzip", as_attachment=True,
                         download_name=f"dia3-tenant-{tenant}.tar.gz")


@blp.route("/<string:tenant>/erasure")
class TenantErasureRequest(MethodView):
    @blp.response(201, TenantErasureRequestSchema)
    @errors(blp, 403, 409, 422)
    def post(self, tenant):
        """Ask to erase a tenant: what would go, and the token that confirms it"""
        return service.request_erasure(principal(), tenant)


@blp.route("/<string:tenant>")
class Tenant(MethodView):
    @blp.arguments(TenantEraseQuerySchema, location="query")
    @blp.response(200, TenantErasureReportSchema)
    @errors(blp, 403, 409, 422)
    def delete(self, query, tenant):
        """Erase a tenant everywhere (jobs, results, files, uploads, collections, keys,
        caches), with the token of POST /tenants/{tenant}/erasure; irreversible"""
        return service.erase_tenant(principal(), tenant, query["confirm"])

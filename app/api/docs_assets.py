"""Swagger UI's own files, served by the API itself so that the interactive docs work where no
CDN is reachable and load nothing from another host."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

URL = "/api/v1/docs/assets/"  # under the public docs path: no key needed, like the page
bp = Blueprint("docs_assets", __name__)


@bp.get(URL + "<path:filename>")
def asset(filename: str) -> Response:
    return send_from_directory(swagger_ui_path, filename, max_age=86400)

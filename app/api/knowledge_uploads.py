"""The body of ``POST /collections/<name>/documents``: JSON documents or a multipart upload.

Both become the ``ingest`` workflow's ``documents`` param, so one schema validates them. A
multipart upload is checked here first (no files, a file over the size limit, bad metadata),
so its errors name the upload's own fields rather than the JSON ones.
"""

from __future__ import annotations

import base64
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import request
from flask_smorest import abort

from app.api.json_body import loads
from app.settings import get_settings
from app.workflows.knowledge.ingest import DocumentSpec
from app.workflows.knowledge.metadata import validate_metadata

UNTYPED = ("", "application/octet-stream")
INVALID = "The request has invalid fields; see 'errors'."


def _json_schema(schema) -> dict:
    plugin = MarshmallowPlugin()
    APISpec("dia3", "1", "3.0.3", plugins=[plugin])
    return plugin.converter.schema2jsonschema(schema)


INGEST_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {
            "type": "object", "required": ["documents"],
            "properties": {
                "documents": {"type": "array", "items": _json_schema(DocumentSpec),
                              "description": "1 to DIA3_DOCUMENTS_PER_JOB_MAX documents"},
                "idempotency_key": {"type": "string", "maxLength": 200},
            }}},
        "multipart/form-data": {"schema": {
            "type": "object",
            "properties": {
                "file": {"type": "array", "items": {"type": "string", "format": "binary"},
                         "description": "One or more files (any field name)"},
                "title": {"type": "string"}, "source": {"type": "string"},
                "metadata": {"type": "string", "description": "A JSON object"},
                "idempotency_key": {"type": "string"},
            }}},
    },
}


def documents_from_request() -> tuple[Any, str | None, str]:
    """(documents, idempotency key, where errors go) from a JSON or multipart body."""
    if request.mimetype == "multipart/form-data":
        return _from_upload(), request.form.get("idempotency_key") or None, "form"
    if request.is_json:
        body = request.get_json()
        if not isinstance(body, dict):
            abort(422, message=INVALID, errors={"json": {"_schema": ["Expected an object."]}})
        unknown = sorted(set(body) - {"documents", "idempotency_key"})
        if unknown:
            abort(422, message=INVALID, errors={"json": {k: ["Unknown field."] for k in unknown}})
        key = body.get("idempotency_key")
        if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 200):
            abort(422, message=INVALID,
                  errors={"json": {"idempotency_key": ["1-200 characters."]}})
        return body.get("documents"), key, "json"
    abort(422, message="Send JSON {\"documents\": [...]} or a multipart upload of files.",
          errors={"json": {"documents": ["Missing data for required field."]}})


def _from_upload() -> list[dict[str, Any]]:
    files = [upload for _, upload in request.files.items(multi=True)]
    if not files:
        abort(422, message=INVALID, errors={"files": ["Upload at least one file."]})
    shared = {key: request.form.get(key) or None for key in ("title", "source")}
    metadata = validate_metadata(_form_metadata())
    limit = get_settings().upload_max_bytes
    documents, too_large = [], {}
    for index, upload in enumerate(files):
        data = upload.read()
        if len(data) > limit:
            too_large[str(index)] = [f"{upload.filename or 'the file'} has {len(data)} bytes; "
                                     f"the limit is {limit} (DIA3_UPLOAD_MAX_BYTES)."]
        documents.append({
            "content_base64": base64.b64encode(data).decode("ascii"),
            "filename": upload.filename or None,
            "media_type": None if upload.mimetype in UNTYPED else upload.mimetype,
            "metadata": metadata, **shared,
        })
    if too_large:
        abort(413, message=f"An uploaded file is larger than the limit of {limit} bytes "
                           "(DIA3_UPLOAD_MAX_BYTES).", errors={"files": too_large})
    return documents


def _form_metadata() -> dict:
    raw = request.form.get("metadata")
    if not raw:
        return {}
    try:
        value = loads(raw)  # nesting and number limits like a JSON body's
    except ValueError:
        value = None
    if not isinstance(value, dict):
        abort(422, message=INVALID, errors={"form": {"metadata": ["Not a JSON object."]}})
    return value

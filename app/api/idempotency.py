"""The idempotency key of a submission: the ``Idempotency-Key`` header or the body's
``idempotency_key`` field (the same key in both is fine, two different keys are refused).

The header lets a proxy see that a POST may be sent again: nginx passes a keyed submission
that failed on one API instance (e.g. one shutting down during a rolling update) to the next
one, and the repeat is answered with the first job instead of making a second.
"""

from __future__ import annotations

import re

from flask import request
from flask_smorest import abort

HEADER = "Idempotency-Key"
MAX_LENGTH = 200
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")
INVALID = "The request has invalid fields; see 'errors'."


def idempotency_key(body_key: str | None) -> str | None:
    """The submission's key (None without one); 422 for a bad header or two keys."""
    header = request.headers.get(HEADER)
    if header is None:
        return body_key
    if not 1 <= len(header) <= MAX_LENGTH or not _PRINTABLE.match(header):
        abort(422, message=INVALID, errors={"headers": {HEADER: [
            f"1-{MAX_LENGTH} printable ASCII characters without spaces."]}})
    if body_key is not None and body_key != header:
        abort(422, message=INVALID, errors={"headers": {HEADER: [
            "Differs from the body's idempotency_key; send one key."]}})
    return header

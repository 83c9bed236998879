"""Secrets and signatures of the Standard Webhooks specification.

A secret is ``whsec_`` followed by the base64 of random bytes; the HMAC key is those bytes.
A delivery is signed over ``"<webhook-id>.<webhook-timestamp>.<body>"`` with HMAC-SHA256 and
the header carries ``v1,<base64 signature>``, one per secret that signs (several, space
separated, while a rotated-out secret is still in its grace period).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh secret (32 random bytes)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of one delivery attempt."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(signing_secrets: list[str], message_id: str, timestamp: int, body: bytes
            ) -> dict[str, str]:
    """The three headers of one attempt, signed by every secret given (current first)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body)
                                      for secret in signing_secrets),
        "content-type": "application/json",
    }

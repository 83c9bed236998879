"""Webhook signatures as the Standard Webhooks specification defines them, checked against an
independent implementation of the receiver's side (the ``standardwebhooks`` package is not
part of DIA3's environment): HMAC-SHA256 over ``id.timestamp.body`` with the base64-decoded
secret, one ``v1,`` signature per signing secret."""

from __future__ import annotations

import base64
import hashlib
import hmac

from app.webhooks import signing
from app.webhooks.store import Webhook


def receiver_accepts(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does: recompute the signature and compare with each one sent."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body.decode()}"
    expected = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest())
    sent = [part.split(",", 1) for part in headers["webhook-signature"].split(" ")]
    return any(version == "v1" and hmac.compare_digest(value.encode(), expected)
               for version, value in sent)


def test_a_secret_is_whsec_and_base64_of_enough_random_bytes():
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(signing.secret_bytes(secret)) >= 24
    assert signing.new_secret() != secret


def test_a_known_signature():
    # the example of the Standard Webhooks specification
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert signing.signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_receiver_verifies_every_attempt_and_a_changed_body_fails():
    secret = signing.new_secret()
    body = b'{"type":"job.succeeded"}'
    headers = signing.headers([secret], "msg_1", 1700000000, body)
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == "1700000000"
    assert receiver_accepts(secret, headers, body)
    assert not receiver_accepts(secret, headers, body + b" ")
    assert not receiver_accepts(signing.new_secret(), headers, body)


def test_after_a_rotation_both_secrets_sign_until_the_grace_period_ends():
    old, new = signing.new_secret(), signing.new_secret()
    hook = Webhook(id="w", tenant="t", owner="k", url="https://example.com/", events=[],
                   secret=new, previous_secret=old, previous_secret_until=1000.0)
    body = b"{}"
    during = signing.headers(hook.signing_secrets(999.0), "msg_2", 999, body)
    assert len(during["webhook-signature"].split(" ")) == 2
    assert receiver_accepts(old, during, body) and receiver_accepts(new, during, body)
    after = signing.headers(hook.signing_secrets(1000.0), "msg_2", 1000, body)
    assert receiver_accepts(new, after, body) and not receiver_accepts(old, after, body)
    assert "secret" not in hook.to_dict() and "previous_secret" not in hook.to_dict()

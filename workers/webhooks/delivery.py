"""One attempt at a webhook delivery: check the URL's addresses again, POST the signed body
to the checked address (no redirects), record the answer and when to try again.

Nothing of the body, the secrets or the receiver's answer is logged; a delivery records the
status code or the kind of failure only.
"""

from __future__ import annotations

import logging
import time

import urllib3

from app import metrics
from app.extensions import webhook_store
from app.settings import Settings, get_settings
from app.webhooks import addresses, signing
from app.webhooks.backoff import retry_delay
from app.webhooks.store import FAILED, PENDING, SUCCEEDED, DeliveryNotFound, WebhookNotFound

log = logging.getLogger("dia3.webhooks")
USER_AGENT = "DIA3-Webhooks/1"
RETRY = "retry"


def post(url: str, body: bytes, headers: dict[str, str], settings: Settings
         ) -> tuple[int | None, str | None]:
    """(status, None) of the receiver's answer, or (None, why there was none)."""
    try:
        target = addresses.check(url, settings.webhook_allow_private)
    except addresses.UnsafeURL as exc:
        return None, f"refused: {exc.message}"
    timeout = urllib3.Timeout(total=settings.webhook_timeout_seconds)
    if target.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            target.address, target.port, timeout=timeout, retries=False, maxsize=1,
            server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED")
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=timeout,
                                          retries=False, maxsize=1)
    try:
        with pool:
            response = pool.urlopen(
                "POST", target.path, body=body, redirect=False, retries=False,
                assert_same_host=False, preload_content=False,
                headers={**headers, "Host": target.host_header, "User-Agent": USER_AGENT})
            response.close()
            return response.status, None
    except urllib3.exceptions.NewConnectionError as exc:  # before: it is a TimeoutError too
        return None, f"no connection ({exc.__class__.__name__})"
    except urllib3.exceptions.TimeoutError:
        return None, "timeout"
    except urllib3.exceptions.HTTPError as exc:
        return None, f"no answer ({exc.__class__.__name__})"


def attempt(delivery_id: str, attempts: int) -> str:
    """Make the attempt the dispatcher sent for ``attempts`` earlier ones; a delivery that
    moved on meanwhile (a duplicate message) is left alone (``stale``)."""
    store = webhook_store()
    try:
        delivery = store.get_delivery(delivery_id)
    except DeliveryNotFound:
        return "gone"
    if delivery.state != PENDING or delivery.attempts != attempts:
        return "stale"
    try:
        hook = store.get(delivery.webhook_id)
    except WebhookNotFound:
        store.drop(delivery)
        return "gone"
    settings = get_settings()
    now = time.time()
    body = delivery.body.encode()
    headers = signing.headers(hook.signing_secrets(now), delivery.message_id, int(now), body)
    started = time.monotonic()
    status, error = post(hook.url, body, headers, settings)
    metrics.WEBHOOK_ATTEMPT_DURATION.observe(time.monotonic() - started)
    failed = attempts + 1
    next_at = None
    if status is not None and 200 <= status < 300:
        outcome = SUCCEEDED
    elif failed >= settings.webhook_max_attempts:
        outcome = FAILED
    else:
        outcome = RETRY
        next_at = time.time() + retry_delay(failed, settings.webhook_retry_base_seconds,
                                            settings.webhook_retry_max_seconds)
    if error is None and outcome != SUCCEEDED:
        error = f"HTTP {status}"
    if not store.finish(delivery, outcome, status, error, next_at):
        return "stale"
    metrics.WEBHOOK_ATTEMPTS.labels(outcome).inc()
    log.info("webhook delivery attempt", extra={
        "delivery": delivery.id, "webhook": hook.id, "job": delivery.job_id,
        "attempt": failed, "status": status, "outcome": outcome})
    return outcome

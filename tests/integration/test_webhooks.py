"""Webhooks over the REST API: created with a secret shown once, listed and read without it,
changed, rotated (the old secret signing on for its grace period), deleted; validated with
field-level 422s (the URL's addresses included), tenant-scoped, role-checked and audited; and
their deliveries listed and redelivered, against the real Redis."""

from __future__ import annotations

import json
import time

import pytest

from app import audit
from app.extensions import webhook_store
from app.webhooks.dispatch import delivery_of
from app.webhooks.store import FAILED, SUCCEEDED, WebhookStore
from tests.conftest import ApiClient, wait_for

pytestmark = pytest.mark.integration
HOOK = {"url": "http://127.0.0.1:9/hook", "events": ["job.succeeded", "job.failed"]}


def create(client: ApiClient, **fields) -> dict:
    response = client.post("/api/v1/webhooks", json={**HOOK, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def field_errors(response) -> dict:
    assert response.status_code == 422, response.get_json()
    return response.get_json()["errors"]["json"]


def test_webhook_lifecycle_and_the_secret_shown_once(analyst):
    created = create(analyst, description="build bot")
    wid = created["id"]
    assert created["secret"].startswith("whsec_") and created["description"] == "build bot"
    assert created["events"] == ["job.succeeded", "job.failed"] and created["tenant"]
    listed = analyst.get("/api/v1/webhooks").get_json()
    assert [h["id"] for h in listed["items"]] == [wid] and listed["next_cursor"] is None
    shown = analyst.get(f"/api/v1/webhooks/{wid}")
    assert shown.status_code == 200 and "secret" not in shown.get_json()
    assert "secret" not in listed["items"][0]
    assert created["secret"] not in shown.get_data(as_text=True)
    assert created["secret"] not in analyst.get("/api/v1/webhooks").get_data(as_text=True)

    patched = analyst.patch(f"/api/v1/webhooks/{wid}", json={
        "events": ["job.cancelled"], "url": "https://127.0.0.1:8443/other"})
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["events"] == ["job.cancelled"]
    assert patched.get_json()["url"] == "https://127.0.0.1:8443/other"

    rotated = analyst.post(f"/api/v1/webhooks/{wid}/rotate-secret")
    assert rotated.status_code == 200, rotated.get_json()
    new_secret = rotated.get_json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != created["secret"]
    until = rotated.get_json()["previous_secret_until"]
    assert until and "secret" not in analyst.get(f"/api/v1/webhooks/{wid}").get_json()
    stored = webhook_store().get(wid)
    assert stored.signing_secrets(time.time()) == [new_secret, created["secret"]]
    assert stored.signing_secrets(time.time() + 86401) == [new_secret]

    assert analyst.delete(f"/api/v1/webhooks/{wid}").status_code == 204
    assert analyst.get(f"/api/v1/webhooks/{wid}").status_code == 404
    actions = [e.action for e in audit.query(target=f"webhook:{wid}").items]
    assert actions == ["webhook.delete", "webhook.rotate_secret", "webhook.update",
                       "webhook.create"]
    for entry in audit.query(target=f"webhook:{wid}").items:
        assert created["secret"] not in str(entry.to_dict())


def test_webhooks_are_validated_field_by_field(analyst, settings_env):
    assert set(field_errors(analyst.post("/api/v1/webhooks", json={}))) == {"url", "events"}
    errors = field_errors(analyst.post("/api/v1/webhooks", json={
        **HOOK, "events": ["job.exploded"]}))
    assert "events" in errors
    assert "events" in field_errors(analyst.post("/api/v1/webhooks", json={**HOOK,
                                                                          "events": []}))
    for url, says in (("ftp://example.com/x", "Only http"),
                      ("https://user:pw@example.com/", "user name"),
                      ("http://no-such-host.invalid/", "does not resolve")):
        message = field_errors(analyst.post("/api/v1/webhooks", json={**HOOK, "url": url}))
        assert says in message["url"][0], (url, message)

    settings_env(DIA3_WEBHOOK_ALLOW_PRIVATE="false")
    for url in ("http://127.0.0.1/x", "http://localhost:8080/x", "http://10.0.0.1/",
                "http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/"):
        errors = field_errors(analyst.post("/api/v1/webhooks", json={**HOOK, "url": url}))
        assert "DIA3_WEBHOOK_ALLOW_PRIVATE" in errors["url"][0], url
    settings_env(DIA3_WEBHOOK_ALLOW_PRIVATE="true")
    wid = create(analyst)["id"]
    settings_env(DIA3_WEBHOOK_ALLOW_PRIVATE="false")
    errors = field_errors(analyst.patch(f"/api/v1/webhooks/{wid}",
                                        json={"url": "http://192.168.0.1/"}))
    assert "url" in errors
    assert webhook_store().get(wid).url == HOOK["url"]
    refused = audit.query(action="webhook.update", target=f"webhook:{wid}").items[0]
    assert (refused.outcome, refused.status) == ("error", 422)
    settings_env(DIA3_WEBHOOK_ALLOW_PRIVATE="true")
    analyst.delete(f"/api/v1/webhooks/{wid}")


def test_webhooks_are_tenant_scoped_and_role_checked(make_client):
    owner = make_client("analyst")
    wid = create(owner)["id"]
    stranger = make_client("analyst")
    for response in (stranger.get(f"/api/v1/webhooks/{wid}"),
                     stranger.patch(f"/api/v1/webhooks/{wid}", json={"description": "x"}),
                     stranger.delete(f"/api/v1/webhooks/{wid}"),
                     stranger.post(f"/api/v1/webhooks/{wid}/rotate-secret"),
                     stranger.get(f"/api/v1/webhooks/{wid}/deliveries")):
        assert response.status_code == 404, response.get_json()
    assert stranger.get("/api/v1/webhooks").get_json()["items"] == []

    tenant = webhook_store().get(wid).tenant
    viewer = make_client("viewer", tenant=tenant)
    assert viewer.get(f"/api/v1/webhooks/{wid}").status_code == 200
    assert viewer.get(f"/api/v1/webhooks/{wid}/deliveries").status_code == 200
    assert viewer.post("/api/v1/webhooks", json=HOOK).status_code == 403
    assert viewer.patch(f"/api/v1/webhooks/{wid}", json={"description": "x"}
                        ).status_code == 403
    assert viewer.post(f"/api/v1/webhooks/{wid}/rotate-secret").status_code == 403
    assert viewer.delete(f"/api/v1/webhooks/{wid}").status_code == 403
    denied = audit.query(action="webhook.rotate_secret", target=f"webhook:{wid}").items[0]
    assert (denied.outcome, denied.status) == ("denied", 403)
    admin = make_client("admin")
    assert admin.get(f"/api/v1/webhooks/{wid}").status_code == 200
    everyone = admin.get("/api/v1/webhooks?all_tenants=true&limit=200").get_json()["items"]
    assert wid in [h["id"] for h in everyone]
    owner.delete(f"/api/v1/webhooks/{wid}")


def test_the_list_is_paginated(analyst):
    made = [create(analyst, description=str(n))["id"] for n in range(3)]
    first = analyst.get("/api/v1/webhooks?limit=2").get_json()
    rest = analyst.get(f"/api/v1/webhooks?limit=2&cursor={first['next_cursor']}").get_json()
    assert [h["id"] for h in first["items"] + rest["items"]] == made[::-1]
    assert rest["next_cursor"] is None
    assert "cursor" in field_errors_query(analyst.get("/api/v1/webhooks?cursor=nonsense"))
    for wid in made:
        analyst.delete(f"/api/v1/webhooks/{wid}")


def field_errors_query(response) -> dict:
    assert response.status_code == 422, response.get_json()
    return response.get_json()["errors"]["query"]


def event(job_id: str, kind: str) -> dict[str, str]:
    return {"type": kind, "job_id": job_id, "workflow": "smoke", "state": kind[4:],
            "at": repr(time.time()), "steps_done": "2", "steps_total": "2"}


def test_deliveries_are_listed_in_order_of_their_job_and_redelivered(analyst):
    wid = create(analyst)["id"]
    store = webhook_store()
    hook = store.get(wid)
    # due in an hour, so that a worker's dispatcher leaves them alone
    later = time.time() + 3600
    first = delivery_of(hook, "1-0", event("j1", "job.succeeded"), later)
    second = delivery_of(hook, "2-0", event("j1", "job.failed"), later + 0.001)
    assert store.add_delivery(first, now=later) and store.add_delivery(second, now=later + 1)
    assert not store.add_delivery(first)  # one delivery per webhook and event
    page = analyst.get(f"/api/v1/webhooks/{wid}/deliveries").get_json()
    shown = {d["id"]: d for d in page["items"]}
    assert [d["id"] for d in page["items"]] == [second.id, first.id]
    assert shown[first.id]["state"] == "pending" and shown[first.id]["next_attempt_at"]
    assert shown[second.id]["next_attempt_at"] is None  # waits for the job's earlier event
    assert shown[first.id]["message_id"] == f"msg_{first.id}"
    assert "body" not in shown[first.id]

    conflict = analyst.post(f"/api/v1/webhooks/{wid}/deliveries/{first.id}/redeliver")
    assert conflict.status_code == 409, conflict.get_json()
    assert store.finish(store.get_delivery(first.id), FAILED, 503, "HTTP 503")
    after = {d["id"]: d for d in analyst.get(
        f"/api/v1/webhooks/{wid}/deliveries").get_json()["items"]}
    assert (after[first.id]["state"], after[first.id]["attempts"]) == ("failed", 1)
    assert after[first.id]["last_status"] == 503 and after[second.id]["next_attempt_at"]

    again = analyst.post(f"/api/v1/webhooks/{wid}/deliveries/{first.id}/redeliver")
    assert again.status_code == 202, again.get_json()
    assert (again.get_json()["state"], again.get_json()["attempts"]) == ("pending", 0)
    assert again.get_json()["next_attempt_at"] is None  # now behind the job's second event
    assert store.finish(store.get_delivery(second.id), SUCCEEDED, 200, None)
    assert store.get_delivery(first.id).next_attempt_at is not None
    missing = analyst.post(f"/api/v1/webhooks/{wid}/deliveries/nope/redeliver")
    assert missing.status_code == 404
    redelivered = audit.query(action="webhook.redeliver").items[0]
    assert redelivered.target == f"webhook:{wid}/delivery:nope"

    assert analyst.delete(f"/api/v1/webhooks/{wid}").status_code == 204
    assert store.r.zscore("dia3:webhook-due", first.id) is None
    assert not store.r.exists(f"dia3:webhook-delivery:{first.id}")


def test_a_webhook_keeps_its_newest_deliveries_and_every_pending_one(analyst):
    wid = create(analyst)["id"]
    shared = webhook_store()
    store = WebhookStore(shared.r, shared.envelope, deliveries_kept=2)
    hook, later = store.get(wid), time.time() + 3600  # not due: no worker makes them
    made = []
    for n in range(4):
        delivery = delivery_of(hook, f"{n}-0", event(f"job{n}", "job.succeeded"), later + n)
        assert store.add_delivery(delivery, now=later + n)
        made.append(delivery)
        if n in (1, 2):
            assert store.finish(store.get_delivery(delivery.id), SUCCEEDED, 200, None)
    listed = [d["id"] for d in analyst.get(f"/api/v1/webhooks/{wid}/deliveries"
                                           ).get_json()["items"]]
    assert listed == [made[3].id, made[2].id, made[0].id]  # the first is still pending
    assert not store.r.exists(f"dia3:webhook-delivery:{made[1].id}")
    analyst.delete(f"/api/v1/webhooks/{wid}")


def test_events_read_but_not_acknowledged_before_a_restart_still_make_deliveries(analyst):
    from app import redis_keys
    from app.webhooks.dispatch import CONSUMER, Dispatcher
    r = webhook_store().r
    r.set(redis_keys.WEBHOOK_DISPATCH_LOCK, "this test", px=30000)  # no worker dispatches
    try:
        hook = create(analyst)
        stream = redis_keys.tenant_events(hook["tenant"])
        # a worker's dispatcher that read the new stream before the lock was taken has had
        # its last (blocking, at most 1 s) read by now
        wait_for(lambda: all(c["idle"] > 1500 for c in r.xinfo_consumers(
            stream, redis_keys.WEBHOOK_GROUP)), timeout=10, what="no other dispatcher")
        succeeded = event("j9", "job.succeeded")
        done = r.xadd(stream, succeeded)
        r.xadd(stream, event("j9", "job.running"))  # not one the webhook wants
        # a dispatcher read both and wrote the first one's delivery, then died before it
        # acknowledged them
        read = r.xreadgroup(redis_keys.WEBHOOK_GROUP, CONSUMER, {stream: ">"}, count=10)
        assert len(read[0][1]) == 2
        store = webhook_store()
        assert store.add_delivery(delivery_of(store.get(hook["id"]), done, succeeded,
                                              time.time()))
        restarted = Dispatcher()
        assert restarted.read_events(10) == 2  # the unacknowledged ones first
        assert restarted.read_events(10) == 0 and restarted.backlog_done
        assert r.xpending(stream, redis_keys.WEBHOOK_GROUP)["pending"] == 0
        [delivery] = store.deliveries(hook["id"]).items  # one, though made twice
        assert (delivery.event_id, delivery.event_type, delivery.job_id) == (
            done, "job.succeeded", "j9")
        body = json.loads(delivery.body)
        assert body["type"] == "job.succeeded" and body["data"] == {
            "job_id": "j9", "workflow": "smoke", "state": "succeeded", "steps_done": 2,
            "steps_total": 2}
    finally:
        r.delete(redis_keys.WEBHOOK_DISPATCH_LOCK)
    analyst.delete(f"/api/v1/webhooks/{hook['id']}")

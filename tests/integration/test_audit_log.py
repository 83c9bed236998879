"""Every change through the API and the CLI leaves one audit entry with its actor, tenant,
target, outcome and request id — refused and failed attempts too — and only admins read them."""

from __future__ import annotations

import uuid

import pytest
import redis
from click.testing import CliRunner

from app import audit
from app.extensions import key_store
from app.redis_client import get_redis
from tests.conftest import ApiClient
from tests.integration.kb_helpers import COLLECTIONS, create_collection, ingest, text_doc


def key_of(client: ApiClient) -> tuple[str, str]:
    principal = key_store().lookup(client.key)
    return principal.key_id, principal.tenant


def entries_for(request_id: str) -> list[dict]:
    """The audit entries written while handling one request, oldest first."""
    return [e.to_dict() for e in reversed(audit.query(limit=200).items)
            if e.request_id == request_id]


def only_entry(client: ApiClient, method: str, path: str, status: int, **kw) -> dict:
    """Send a request with a fresh request id; it must answer ``status`` and leave exactly
    one entry, which is returned."""
    rid = uuid.uuid4().hex
    response = getattr(client, method)(path, headers={"X-Request-ID": rid}, **kw)
    assert response.status_code == status, response.get_json()
    found = entries_for(rid)
    assert len(found) == 1, found
    return found[0]


def assert_entry(entry: dict, client: ApiClient, action: str, target: str, outcome: str = "ok",
                 status: int | None = None) -> None:
    actor, tenant = key_of(client)
    assert (entry["actor"], entry["tenant"], entry["action"], entry["target"],
            entry["outcome"], entry["status"]) == (actor, tenant, action, target, outcome,
                                                   status), entry
    assert entry["time"] is not None and entry["request_id"]


def test_job_actions_are_audited_with_their_outcome(make_client):
    analyst, viewer = make_client("analyst"), make_client("viewer")
    rid = uuid.uuid4().hex
    busy_params = {"start": 1, "stall_seconds": 60}  # still active when deleted below
    submitted = analyst.submit("smoke", busy_params, idempotency_key=rid)
    job_id = submitted.get_json()["id"]
    entry = audit.query(action="job.submit", target=f"job:{job_id}").items[0].to_dict()
    assert_entry(entry, analyst, "job.submit", f"job:{job_id}")
    assert entry["detail"] == {"workflow": "smoke", "created": True}

    again = only_entry(analyst, "post", "/api/v1/jobs", 200,
                       json={"workflow": "smoke", "params": busy_params,
                             "idempotency_key": rid})
    assert again["detail"]["created"] is False

    denied = only_entry(viewer, "post", "/api/v1/jobs", 403,
                        json={"workflow": "smoke", "params": {"start": 1}})
    assert_entry(denied, viewer, "job.submit", "workflow:smoke", "denied", 403)
    assert denied["error"] == "Forbidden"
    invalid = only_entry(analyst, "post", "/api/v1/jobs", 422,
                         json={"workflow": "smoke", "params": {"start": "x"}})
    assert_entry(invalid, analyst, "job.submit", "workflow:smoke", "error", 422)

    busy = only_entry(analyst, "delete", f"/api/v1/jobs/{job_id}", 409)
    assert_entry(busy, analyst, "job.delete", f"job:{job_id}", "error", 409)
    cancelled = only_entry(analyst, "post", f"/api/v1/jobs/{job_id}/cancel", 200)
    assert_entry(cancelled, analyst, "job.cancel", f"job:{job_id}")
    other = make_client("analyst")  # another tenant's job is a 404, and audited as such
    hidden = only_entry(other, "post", f"/api/v1/jobs/{job_id}/cancel", 404)
    assert_entry(hidden, other, "job.cancel", f"job:{job_id}", "error", 404)
    deleted = only_entry(analyst, "delete", f"/api/v1/jobs/{job_id}", 204)
    assert_entry(deleted, analyst, "job.delete", f"job:{job_id}")


def test_key_actions_are_audited_without_the_key(make_client):
    admin, analyst = make_client("admin"), make_client("analyst")
    rid = uuid.uuid4().hex
    created = admin.post("/api/v1/keys", json={"role": "viewer", "tenant": "aud"},
                         headers={"X-Request-ID": rid}).get_json()
    entry = entries_for(rid)[0]
    assert_entry(entry, admin, "key.create", f"key:{created['key_id']}")
    assert entry["detail"] == {"role": "viewer", "tenant": "aud", "expires_at": None}
    rotate = only_entry(admin, "post", f"/api/v1/keys/{created['key_id']}/rotate", 200)
    assert_entry(rotate, admin, "key.rotate", f"key:{created['key_id']}")
    missing = only_entry(admin, "post", "/api/v1/keys/nope/rotate", 404)
    assert_entry(missing, admin, "key.rotate", "key:nope", "error", 404)
    denied = only_entry(analyst, "delete", f"/api/v1/keys/{created['key_id']}", 403)
    assert_entry(denied, analyst, "key.revoke", f"key:{created['key_id']}", "denied", 403)
    revoked = only_entry(admin, "delete", f"/api/v1/keys/{created['key_id']}", 204)
    assert_entry(revoked, admin, "key.revoke", f"key:{created['key_id']}")
    raw = str(get_redis().xrange(audit.STREAM))
    assert created["key"] not in raw


def test_knowledge_actions_are_audited(make_client, worker):
    analyst, viewer = make_client("analyst"), make_client("viewer")
    name = create_collection(analyst)
    entry = audit.query(action="collection.create", target=f"collection:{name}").items[0]
    assert_entry(entry.to_dict(), analyst, "collection.create", f"collection:{name}")
    rid = uuid.uuid4().hex
    job, _ = ingest(analyst, name, [text_doc("audited text", document_id="doc-1")])
    added = audit.query(action="document.add", target=f"collection:{name}").items[0].to_dict()
    assert_entry(added, analyst, "document.add", f"collection:{name}")
    assert added["detail"] == {"job": job["id"], "documents": 1}
    assert audit.query(target=f"job:{job['id']}").items[0].action == "job.submit"

    refused = only_entry(viewer, "post", f"{COLLECTIONS}/{name}/documents", 403,
                         json={"documents": [text_doc("x")]})
    assert_entry(refused, viewer, "document.add", f"collection:{name}", "denied", 403)
    gone = only_entry(analyst, "post", f"{COLLECTIONS}/nope-{rid[:6]}/documents", 404,
                      json={"documents": [text_doc("x")]})
    assert gone["outcome"] == "error" and gone["action"] == "document.add"
    removed = only_entry(analyst, "delete", f"{COLLECTIONS}/{name}/documents/doc-1", 200)
    assert_entry(removed, analyst, "document.delete", f"collection:{name}")
    dropped = only_entry(analyst, "delete", f"{COLLECTIONS}/{name}", 204)
    assert_entry(dropped, analyst, "collection.delete", f"collection:{name}")
    again = only_entry(analyst, "delete", f"{COLLECTIONS}/{name}", 404)
    assert_entry(again, analyst, "collection.delete", f"collection:{name}", "error", 404)


def test_cli_key_commands_are_audited_as_the_operator(flask_app):
    from app.cli.main import cli
    made = CliRunner().invoke(cli, ["keys", "create", "--role", "viewer", "--tenant", "audcli"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    key_id = key.split("_")[1]
    revoked = CliRunner().invoke(cli, ["keys", "revoke", key_id])
    assert revoked.exit_code == 0, revoked.output
    found = audit.query(target=f"key:{key_id}").items
    assert [(e.action, e.actor, e.outcome) for e in found] == [("key.revoke", "cli", "ok"),
                                                              ("key.create", "cli", "ok")]
    assert key not in str([e.to_dict() for e in found])
    listed = CliRunner().invoke(cli, ["audit", "--target", f"key:{key_id}", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [line for line in listed.stdout.splitlines() if "key.create" in line]


def test_only_admins_read_the_audit_log_with_filters_and_cursors(make_client):
    admin, analyst = make_client("admin"), make_client("analyst")
    assert analyst.get("/api/v1/audit").status_code == 403
    job_ids = [analyst.submit("smoke", {"start": i}).get_json()["id"] for i in range(3)]
    actor, tenant = key_of(analyst)
    seen, cursor = [], None
    while True:
        query = {"actor": actor, "tenant": tenant, "action": "job.submit", "limit": 2}
        if cursor:
            query["cursor"] = cursor
        body = admin.get("/api/v1/audit", query_string=query).get_json()
        seen += [item["target"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [f"job:{job_id}" for job_id in reversed(job_ids)]
    first = admin.get("/api/v1/audit", query_string={"actor": actor}).get_json()["items"][-1]
    assert first["time"].endswith("+00:00")
    later = admin.get("/api/v1/audit", query_string={"actor": actor,
                                                     "since": first["time"]}).get_json()
    assert len(later["items"]) == 3
    none = admin.get("/api/v1/audit", query_string={"actor": actor, "until":
                                                    "2000-01-01T00:00:00Z"}).get_json()
    assert none == {"items": [], "next_cursor": None}
    assert admin.get("/api/v1/audit?cursor=garbage").status_code == 422
    assert admin.get("/api/v1/audit?outcome=maybe").status_code == 422
    before_epoch = admin.get("/api/v1/audit?until=0168-11-12T08:02:18Z")  # found by fuzzing
    assert before_epoch.status_code == 422 and "until" in before_epoch.get_json()["errors"][
        "query"]
    spec = admin.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/audit" in spec["paths"] and "AuditEntry" in spec["components"]["schemas"]


def test_a_sparse_filter_pages_on_with_a_cursor(make_client):
    client = make_client("analyst")
    for i in range(3):
        client.submit("smoke", {"start": i})
    actor, _ = key_of(client)
    page = audit.query(actor=actor, limit=10, scan_max=2)
    assert page.next_cursor and len(page.items) <= 2
    rest = audit.query(actor=actor, limit=10, cursor=page.next_cursor)
    assert len(page.items) + len(rest.items) == 3 and rest.next_cursor is None


def test_an_audit_failure_fails_the_request(make_client, monkeypatch):
    client = make_client("analyst")

    def broken(*args, **kwargs):
        raise redis.ConnectionError("down")
    monkeypatch.setattr(type(get_redis()), "xadd", broken)
    response = client.submit("smoke", {"start": 1})
    assert response.status_code == 503, response.get_json()
    denied = make_client("viewer").submit("smoke", {"start": 1})
    assert denied.status_code == 403  # the action's own error, the lost entry logged


@pytest.mark.parametrize("bad", ["", "Zm9v", "MTIzLWFiYw"])
def test_cursors_we_did_not_issue_are_refused(bad):
    with pytest.raises(ValueError):
        audit.decode_cursor(bad)

"""``dia3 webhooks`` against a real API server and the session's worker: create (the secret
printed once), list, show, rotate-secret, deliveries, redeliver and delete, by any unique
start of a webhook's id."""

from __future__ import annotations

import json

import pytest

from tests.conftest import wait_for

pytestmark = pytest.mark.integration
NOBODY = "http://127.0.0.1:9/hooks"  # nothing listens: every attempt fails


def test_webhooks_commands_from_create_to_delete(dia3):
    created = dia3("webhooks", "create", NOBODY, "--event", "job.succeeded",
                   "--description", "ci bot", "--json")
    assert created.returncode == 0, created.stderr
    hook = json.loads(created.stdout)
    wid, short = hook["id"], hook["id"][:8]
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["job.succeeded"]

    listed = dia3("webhooks", "list")
    assert wid in listed.stdout and "ci bot" in listed.stdout
    assert hook["secret"] not in listed.stdout
    shown = dia3("webhooks", "show", short)
    assert shown.returncode == 0 and NOBODY in shown.stdout
    assert hook["secret"] not in shown.stdout and "secret" not in shown.stdout

    rotated = dia3("webhooks", "rotate-secret", short)
    assert rotated.returncode == 0, rotated.stderr
    assert "signing secret (shown only now): whsec_" in rotated.stdout
    assert "old secret signs until" in rotated.stdout

    ran = dia3("submit", "smoke", "--wait")
    assert ran.returncode == 0, ran.stderr

    def attempted():
        found = json.loads(dia3("webhooks", "deliveries", short, "--json").stdout)
        return found if found and found[0]["attempts"] >= 1 else None
    [delivery] = wait_for(attempted, timeout=30, interval=0.3, what="a delivery attempt")
    assert delivery["event_type"] == "job.succeeded" and delivery["last_status"] is None
    assert delivery["last_error"].startswith("no connection")
    table = dia3("webhooks", "deliveries", short)
    assert delivery["id"] in table.stdout and "job.succeeded" in table.stdout

    pending = dia3("webhooks", "redeliver", short, delivery["id"])
    assert pending.returncode != 0 and "still pending" in pending.stderr

    bad = dia3("webhooks", "create", "ftp://example.com/x")
    assert bad.returncode != 0 and "Only http and https" in bad.stderr
    unknown = dia3("webhooks", "show", "ffffffff")
    assert unknown.returncode != 0 and "no webhook" in unknown.stderr
    assert "deleted" in dia3("webhooks", "delete", short).stdout
    assert wid not in dia3("webhooks", "list").stdout
